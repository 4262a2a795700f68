// The one converter between absl::Status and grpc::Status (CONVENTIONS.md
// "one converter per edge"). The numeric codes are the same in both; the
// message is kept as is. Pure functions; thread-safe.
#ifndef BINQ_PROTO_CONVERT_GRPC_STATUS_H_
#define BINQ_PROTO_CONVERT_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace binq::api {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace binq::api

#endif  // BINQ_PROTO_CONVERT_GRPC_STATUS_H_
