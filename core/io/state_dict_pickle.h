// A minimal, safe unpickler for exactly what torch.save writes for a state
// dict: a dict or collections.OrderedDict mapping names to tensors, each
// rebuilt by torch._utils._rebuild_tensor_v2 (optionally wrapped in
// torch._utils._rebuild_parameter[_with_state] for nn.Parameter values) from
// a storage given by a persistent id ('storage', torch.<Type>Storage, key,
// location, numel).
//
// Nothing is executed: the pickle is interpreted as data. Any global other
// than collections.OrderedDict, those three torch._utils functions and the
// torch.<Type>Storage classes is refused (INVALID_ARGUMENT naming it), so a
// malicious pickle cannot run code. Pickle protocols 2 to 5 are read (torch
// writes 2 by default).
//
// Pure function of its arguments: thread-safe.
#ifndef BINQ_CORE_IO_STATE_DICT_PICKLE_H_
#define BINQ_CORE_IO_STATE_DICT_PICKLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/io/dtype.h"

namespace binq::core {

// One tensor of the state dict, as the pickle describes it. Sizes, strides
// and the storage offset are in elements. Values are as pickled: the caller
// checks them against the storage's bytes.
struct PickledTensor {
  std::string name;
  std::string storage_key;   // the archive entry is <prefix>/data/<key>
  std::string storage_type;  // e.g. "HalfStorage"
  // The element type of storage_type; nullopt for a storage type binq does
  // not read (complex, quantized, float8, ...), which the caller reports.
  std::optional<DType> dtype;
  std::string location;          // e.g. "cpu", "cuda:0"
  uint64_t storage_numel = 0;    // elements in the whole storage
  uint64_t storage_offset = 0;   // first element of this tensor
  std::vector<int64_t> sizes;    // each >= 0
  std::vector<int64_t> strides;  // each >= 0, as many as sizes
};

// Interprets `pickle` (the bytes of an archive's data.pkl). `what` names it
// in messages (e.g. "/m/pytorch_model.bin: archive/data.pkl"). Returns the
// tensors in the dict's order. Errors, each message starting with `what`:
//   INVALID_ARGUMENT a global outside the allow-list (named), a value that
//                    is not a tensor (named by its key), a top-level object
//                    that is not a dict, a non-string key, a persistent id
//                    that is not a torch storage, a protocol above 5;
//   DATA_LOSS        truncated or malformed pickle: unknown opcode, stack or
//                    mark underflow, a memo index never stored, arguments of
//                    the wrong type or count, negative sizes or strides,
//                    integers that do not fit in 64 bits, a name appearing
//                    twice, no STOP, a pickle over 256 MiB.
[[nodiscard]] absl::StatusOr<std::vector<PickledTensor>> ParseStateDictPickle(
    absl::Span<const uint8_t> pickle, absl::string_view what);

// The element type of a torch storage class name ("FloatStorage" → F32,
// "HalfStorage" → F16, "BFloat16Storage" → BF16, "DoubleStorage",
// "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage",
// "BoolStorage"); nullopt for any other name.
std::optional<DType> DTypeOfTorchStorage(absl::string_view type_name);

}  // namespace binq::core

#endif  // BINQ_CORE_IO_STATE_DICT_PICKLE_H_
