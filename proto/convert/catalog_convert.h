// The technique catalog (core/base/technique_catalog.h) as the
// ListTechniques answer. Pure; thread-safe.
#ifndef BINQ_PROTO_CONVERT_CATALOG_CONVERT_H_
#define BINQ_PROTO_CONVERT_CATALOG_CONVERT_H_

#include "binq/v1/binq.pb.h"
#include "core/base/technique_catalog.h"

namespace binq::api {

v1::TechniqueOption OptionSchemaToProto(const OptionSchema& schema);
v1::Technique TechniqueToProto(const TechniqueEntry& entry);
v1::ListTechniquesResponse CatalogToProto();  // every technique, catalog order

}  // namespace binq::api

#endif  // BINQ_PROTO_CONVERT_CATALOG_CONVERT_H_
