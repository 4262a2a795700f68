#include "core/io/state_dict_pickle.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/status_macros.h"

namespace binq::core {
namespace {

// Bounds on what an archive may make us allocate. Real state-dict pickles
// are tens of KB (about 20 values per tensor).
constexpr size_t kMaxPickleBytes = 256u << 20;
constexpr size_t kMaxValues = 1u << 24;
constexpr size_t kMaxGlobalLine = 256;

enum class Kind : uint8_t {
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kBytes,
  kTuple,
  kList,
  kDict,
  kGlobal,
  kStorage,
  kTensor,
};

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kTuple:
      return "tuple";
    case Kind::kList:
      return "list";
    case Kind::kDict:
      return "dict";
    case Kind::kGlobal:
      return "class or function";
    case Kind::kStorage:
      return "storage";
    case Kind::kTensor:
      return "tensor";
  }
  return "?";
}

// The globals the allow-list admits.
enum class Global : uint8_t {
  kOrderedDict,
  kRebuildTensorV2,
  kRebuildParameter,
  kRebuildParameterWithState,
  kStorageType,
};

// A pickled value. Payloads that do not fit live in the unpickler's side
// tables, indexed by `ref`: values are never freed during a parse, so memo
// references and cycles need no ownership.
struct Value {
  Kind kind = Kind::kNone;
  Global global = Global::kOrderedDict;  // kGlobal
  int64_t i = 0;                         // kInt, kBool
  size_t ref = 0;  // strings_ (kString, kBytes, kGlobal storage type name),
                   // seqs_ (kTuple, kList), dicts_, storages_, tensors_
};

struct Storage {
  std::string type_name;
  std::optional<DType> dtype;
  std::string key;
  std::string location;
  uint64_t numel = 0;
};

class Unpickler {
 public:
  Unpickler(absl::Span<const uint8_t> data, absl::string_view what)
      : data_(data), what_(what) {}

  absl::StatusOr<std::vector<PickledTensor>> Run();

 private:
  // Error constructors; messages start with `what_` and say where.
  absl::Status Corrupt(absl::string_view what) const {
    return absl::DataLossError(
        absl::StrCat(what_, ": corrupt pickle at byte ", op_pos_, ": ", what));
  }
  absl::Status Refuse(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(what_, ": ", what));
  }

  // Reads n raw bytes at the cursor.
  absl::StatusOr<const uint8_t*> Take(size_t n) {
    if (n > data_.size() - pos_) {
      return Corrupt(absl::StrCat("truncated: opcode needs ", n,
                                  " more bytes, ", data_.size() - pos_,
                                  " left"));
    }
    const uint8_t* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }
  absl::StatusOr<uint64_t> TakeUnsigned(size_t n) {
    BINQ_ASSIGN_OR_RETURN(const uint8_t* p, Take(n));
    uint64_t v = 0;
    for (size_t k = n; k-- > 0;) v = (v << 8) | p[k];
    return v;
  }
  absl::StatusOr<std::string> TakeLine() {
    const size_t limit = std::min(data_.size(), pos_ + kMaxGlobalLine);
    for (size_t end = pos_; end < limit; ++end) {
      if (data_[end] == '\n') {
        std::string line(reinterpret_cast<const char*>(data_.data() + pos_),
                         end - pos_);
        pos_ = end + 1;
        return line;
      }
    }
    return Corrupt("GLOBAL without a newline-terminated module and name");
  }

  absl::StatusOr<size_t> NewValue(Value v) {
    if (values_.size() >= kMaxValues) {
      return Corrupt(absl::StrCat("more than ", kMaxValues, " values"));
    }
    values_.push_back(v);
    return values_.size() - 1;
  }
  absl::Status Push(Value v) {
    BINQ_ASSIGN_OR_RETURN(const size_t index, NewValue(v));
    stack_.push_back(index);
    return absl::OkStatus();
  }
  absl::Status PushInt(int64_t i) { return Push({Kind::kInt, {}, i, 0}); }
  absl::Status PushString(Kind kind, size_t n) {
    BINQ_ASSIGN_OR_RETURN(const uint8_t* p, Take(n));
    strings_.emplace_back(reinterpret_cast<const char*>(p), n);
    return Push({kind, {}, 0, strings_.size() - 1});
  }
  absl::StatusOr<size_t> Pop() {
    if (stack_.size() <= StackFloor()) return Corrupt("stack underflow");
    const size_t v = stack_.back();
    stack_.pop_back();
    return v;
  }
  absl::StatusOr<size_t> Top() const {
    if (stack_.size() <= StackFloor()) return Corrupt("stack underflow");
    return stack_.back();
  }
  // Items above the innermost mark are all a MARK-less opcode may touch.
  size_t StackFloor() const { return marks_.empty() ? 0 : marks_.back(); }
  // Pops everything above the innermost mark, and the mark.
  absl::StatusOr<std::vector<size_t>> PopMark() {
    if (marks_.empty()) return Corrupt("no MARK to pop to");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<size_t> items(stack_.begin() + static_cast<ptrdiff_t>(mark),
                              stack_.end());
    stack_.resize(mark);
    return items;
  }

  absl::Status Memoize(uint64_t index) {
    BINQ_ASSIGN_OR_RETURN(const size_t top, Top());
    memo_[index] = top;
    return absl::OkStatus();
  }
  absl::Status Recall(uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) {
      return Corrupt(absl::StrCat("memo entry ", index, " was never stored"));
    }
    return PushIndex(it->second);
  }
  // Pushes an existing value again (memo recall, DUP), within the same bound
  // as new values.
  absl::Status PushIndex(size_t index) {
    if (stack_.size() >= kMaxValues) {
      return Corrupt(absl::StrCat("stack deeper than ", kMaxValues));
    }
    stack_.push_back(index);
    return absl::OkStatus();
  }

  absl::Status PushTuple(std::vector<size_t> items) {
    seqs_.push_back(std::move(items));
    return Push({Kind::kTuple, {}, 0, seqs_.size() - 1});
  }
  absl::Status PushEmptyDict() {
    dicts_.emplace_back();
    return Push({Kind::kDict, {}, 0, dicts_.size() - 1});
  }
  // dict[key] = value, for a dict at values_[dict].
  absl::Status SetItem(size_t dict, size_t key, size_t value) {
    if (values_[dict].kind != Kind::kDict) {
      return Corrupt(absl::StrCat("SETITEM on a ", KindName(values_[dict].kind),
                                  ", not a dict"));
    }
    if (values_[key].kind != Kind::kString) {
      return Refuse(absl::StrCat("a dict key is a ",
                                 KindName(values_[key].kind),
                                 ", not a str: not a state dict"));
    }
    dicts_[values_[dict].ref].emplace_back(key, value);
    return absl::OkStatus();
  }
  absl::Status Append(size_t list, const std::vector<size_t>& items) {
    if (values_[list].kind != Kind::kList) {
      return Corrupt(absl::StrCat("APPEND to a ", KindName(values_[list].kind),
                                  ", not a list"));
    }
    auto& seq = seqs_[values_[list].ref];
    seq.insert(seq.end(), items.begin(), items.end());
    return absl::OkStatus();
  }

  absl::Status PushGlobal(const std::string& module, const std::string& name);
  absl::Status PersistentLoad();
  absl::Status Reduce();
  absl::Status Build();
  absl::StatusOr<std::vector<PickledTensor>> Finish();

  // Reads an int (or bool, which is an int in Python) argument.
  absl::StatusOr<int64_t> IntArg(size_t v, absl::string_view what) const {
    if (values_[v].kind != Kind::kInt && values_[v].kind != Kind::kBool) {
      return Corrupt(absl::StrCat(what, " is a ", KindName(values_[v].kind),
                                  ", not an int"));
    }
    return values_[v].i;
  }
  absl::StatusOr<std::vector<int64_t>> IntTupleArg(
      size_t v, absl::string_view what) const {
    if (values_[v].kind != Kind::kTuple) {
      return Corrupt(absl::StrCat(what, " is a ", KindName(values_[v].kind),
                                  ", not a tuple"));
    }
    std::vector<int64_t> out;
    for (const size_t item : seqs_[values_[v].ref]) {
      BINQ_ASSIGN_OR_RETURN(const int64_t i, IntArg(item, what));
      if (i < 0) {
        return Corrupt(absl::StrCat(what, " has a negative value ", i));
      }
      out.push_back(i);
    }
    return out;
  }
  const std::vector<size_t>& TupleItems(size_t v) const {
    return seqs_[values_[v].ref];
  }

  const absl::Span<const uint8_t> data_;
  const std::string what_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;  // where the current opcode starts, for messages

  std::vector<Value> values_;
  std::vector<std::string> strings_;
  std::vector<std::vector<size_t>> seqs_;
  std::vector<std::vector<std::pair<size_t, size_t>>> dicts_;
  std::vector<Storage> storages_;
  std::vector<PickledTensor> tensors_;

  std::vector<size_t> stack_;  // indices into values_
  std::vector<size_t> marks_;  // stack sizes at each MARK
  std::unordered_map<uint64_t, size_t> memo_;
};

absl::Status Unpickler::PushGlobal(const std::string& module,
                                   const std::string& name) {
  Value v{Kind::kGlobal, Global::kOrderedDict, 0, 0};
  if (module == "collections" && name == "OrderedDict") {
    v.global = Global::kOrderedDict;
  } else if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
    v.global = Global::kRebuildTensorV2;
  } else if (module == "torch._utils" && name == "_rebuild_parameter") {
    v.global = Global::kRebuildParameter;
  } else if (module == "torch._utils" &&
             name == "_rebuild_parameter_with_state") {
    v.global = Global::kRebuildParameterWithState;
  } else if (module == "torch" && name.size() > 7 &&
             name.compare(name.size() - 7, 7, "Storage") == 0) {
    // A storage class is only a tag for the element type; unknown ones are
    // reported with the tensor that uses them.
    v.global = Global::kStorageType;
    strings_.push_back(name);
    v.ref = strings_.size() - 1;
  } else {
    return Refuse(absl::StrCat(
        "refusing to load global '", module, ".", name,
        "': a state-dict checkpoint may only reference "
        "collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
        "torch._utils._rebuild_parameter and torch.*Storage (binq never "
        "executes pickled code)"));
  }
  return Push(v);
}

absl::Status Unpickler::PersistentLoad() {
  BINQ_ASSIGN_OR_RETURN(const size_t pid, Pop());
  const auto not_storage = [&](absl::string_view why) {
    return Refuse(
        absl::StrCat("persistent id is not a torch storage (", why, ")"));
  };
  if (values_[pid].kind != Kind::kTuple) {
    return not_storage(absl::StrCat("a ", KindName(values_[pid].kind)));
  }
  const std::vector<size_t> items = TupleItems(pid);
  if (items.size() != 5) {
    return not_storage(absl::StrCat(items.size(), " fields, expected 5"));
  }
  if (values_[items[0]].kind != Kind::kString ||
      strings_[values_[items[0]].ref] != "storage") {
    return not_storage("the tag is not 'storage'");
  }
  const Value& type = values_[items[1]];
  if (type.kind != Kind::kGlobal || type.global != Global::kStorageType) {
    return not_storage("field 1 is not a torch.*Storage class");
  }
  if (values_[items[2]].kind != Kind::kString ||
      values_[items[3]].kind != Kind::kString) {
    return not_storage("key or location is not a str");
  }
  BINQ_ASSIGN_OR_RETURN(const int64_t numel, IntArg(items[4], "storage size"));
  if (numel < 0) {
    return Corrupt(absl::StrCat("storage size ", numel, " is negative"));
  }
  Storage s;
  s.type_name = strings_[type.ref];
  s.dtype = DTypeOfTorchStorage(s.type_name);
  s.key = strings_[values_[items[2]].ref];
  s.location = strings_[values_[items[3]].ref];
  s.numel = static_cast<uint64_t>(numel);
  storages_.push_back(std::move(s));
  return Push({Kind::kStorage, {}, 0, storages_.size() - 1});
}

absl::Status Unpickler::Reduce() {
  BINQ_ASSIGN_OR_RETURN(const size_t args, Pop());
  BINQ_ASSIGN_OR_RETURN(const size_t callable, Pop());
  const Value& fn = values_[callable];
  if (fn.kind != Kind::kGlobal) {
    return Corrupt(absl::StrCat("REDUCE calls a ", KindName(fn.kind)));
  }
  if (values_[args].kind != Kind::kTuple) {
    return Corrupt(absl::StrCat("REDUCE arguments are a ",
                                KindName(values_[args].kind), ", not a tuple"));
  }
  const std::vector<size_t> a = TupleItems(args);
  switch (fn.global) {
    case Global::kOrderedDict:
      if (!a.empty()) {
        return Refuse(
            "OrderedDict built from arguments, which torch.save "
            "does not write");
      }
      return PushEmptyDict();
    case Global::kRebuildTensorV2: {
      // (storage, storage_offset, size, stride, requires_grad,
      //  backward_hooks[, metadata])
      if (a.size() != 6 && a.size() != 7) {
        return Corrupt(
            absl::StrCat("_rebuild_tensor_v2 takes 6 or 7 "
                         "arguments, got ",
                         a.size()));
      }
      if (values_[a[0]].kind != Kind::kStorage) {
        return Corrupt(absl::StrCat("_rebuild_tensor_v2 argument 0 is a ",
                                    KindName(values_[a[0]].kind),
                                    ", not a storage"));
      }
      const Storage& s = storages_[values_[a[0]].ref];
      BINQ_ASSIGN_OR_RETURN(const int64_t offset,
                            IntArg(a[1], "storage offset"));
      if (offset < 0) {
        return Corrupt(absl::StrCat("storage offset ", offset, " is negative"));
      }
      PickledTensor t;
      t.storage_key = s.key;
      t.storage_type = s.type_name;
      t.dtype = s.dtype;
      t.location = s.location;
      t.storage_numel = s.numel;
      t.storage_offset = static_cast<uint64_t>(offset);
      BINQ_ASSIGN_OR_RETURN(t.sizes, IntTupleArg(a[2], "tensor size"));
      BINQ_ASSIGN_OR_RETURN(t.strides, IntTupleArg(a[3], "tensor stride"));
      if (t.sizes.size() != t.strides.size()) {
        return Corrupt(absl::StrCat("tensor has ", t.sizes.size(),
                                    " sizes but ", t.strides.size(),
                                    " strides"));
      }
      tensors_.push_back(std::move(t));
      return Push({Kind::kTensor, {}, 0, tensors_.size() - 1});
    }
    case Global::kRebuildParameter:
    case Global::kRebuildParameterWithState: {
      // (data, requires_grad, backward_hooks[, state]): the parameter is its
      // data tensor.
      const size_t want = fn.global == Global::kRebuildParameter ? 3 : 4;
      if (a.size() != want || values_[a[0]].kind != Kind::kTensor) {
        return Corrupt(absl::StrCat(fn.global == Global::kRebuildParameter
                                        ? "_rebuild_parameter"
                                        : "_rebuild_parameter_with_state",
                                    " needs ", want,
                                    " arguments starting with a tensor"));
      }
      stack_.push_back(a[0]);
      return absl::OkStatus();
    }
    case Global::kStorageType:
      return Refuse(absl::StrCat("pickle calls torch.", strings_[fn.ref],
                                 ", which torch.save does not write"));
  }
  return Corrupt("unreachable REDUCE");
}

absl::Status Unpickler::Build() {
  BINQ_ASSIGN_OR_RETURN(const size_t state, Pop());
  BINQ_ASSIGN_OR_RETURN(const size_t target, Top());
  // OrderedDict state dicts carry a `_metadata` attribute (module versions);
  // binq needs none of it.
  if (values_[target].kind == Kind::kDict &&
      (values_[state].kind == Kind::kDict ||
       values_[state].kind == Kind::kTuple ||
       values_[state].kind == Kind::kNone)) {
    return absl::OkStatus();
  }
  return Refuse(absl::StrCat("BUILD sets the state of a ",
                             KindName(values_[target].kind), " from a ",
                             KindName(values_[state].kind),
                             ", which torch.save does not write for a state "
                             "dict"));
}

absl::StatusOr<std::vector<PickledTensor>> Unpickler::Finish() {
  BINQ_ASSIGN_OR_RETURN(const size_t top, Pop());
  if (values_[top].kind != Kind::kDict) {
    return Refuse(absl::StrCat("the pickled object is a ",
                               KindName(values_[top].kind),
                               ", not a dict of tensors (a state dict)"));
  }
  std::vector<PickledTensor> out;
  std::set<std::string> seen;
  for (const auto& [key, value] : dicts_[values_[top].ref]) {
    const std::string& name = strings_[values_[key].ref];
    if (values_[value].kind != Kind::kTensor) {
      return Refuse(absl::StrCat("entry '", name, "' is a ",
                                 KindName(values_[value].kind),
                                 ", not a tensor (binq reads state dicts of "
                                 "tensors only)"));
    }
    if (!seen.insert(name).second) {
      return Corrupt(absl::StrCat("tensor '", name, "' appears twice"));
    }
    out.push_back(tensors_[values_[value].ref]);
    out.back().name = name;
  }
  return out;
}

absl::StatusOr<std::vector<PickledTensor>> Unpickler::Run() {
  if (data_.size() > kMaxPickleBytes) {
    return absl::DataLossError(absl::StrCat(what_, ": pickle of ", data_.size(),
                                            " bytes is over the ",
                                            kMaxPickleBytes, "-byte limit"));
  }
  while (true) {
    op_pos_ = pos_;
    if (pos_ >= data_.size()) return Corrupt("truncated: no STOP opcode");
    const uint8_t op = data_[pos_++];
    switch (op) {
      case 0x80: {  // PROTO
        BINQ_ASSIGN_OR_RETURN(const uint64_t proto, TakeUnsigned(1));
        if (proto > 5) {
          return Refuse(
              absl::StrCat("pickle protocol ", proto, " is newer than 5"));
        }
        break;
      }
      case 0x95:  // FRAME: a length hint only
        BINQ_RETURN_IF_ERROR(Take(8).status());
        break;
      case '.':  // STOP
        return Finish();
      case '(':  // MARK
        marks_.push_back(stack_.size());
        break;
      case '}':  // EMPTY_DICT
        BINQ_RETURN_IF_ERROR(PushEmptyDict());
        break;
      case ']':  // EMPTY_LIST
        seqs_.emplace_back();
        BINQ_RETURN_IF_ERROR(Push({Kind::kList, {}, 0, seqs_.size() - 1}));
        break;
      case ')':  // EMPTY_TUPLE
        BINQ_RETURN_IF_ERROR(PushTuple({}));
        break;
      case 't': {  // TUPLE
        BINQ_ASSIGN_OR_RETURN(std::vector<size_t> items, PopMark());
        BINQ_RETURN_IF_ERROR(PushTuple(std::move(items)));
        break;
      }
      case 0x85:    // TUPLE1
      case 0x86:    // TUPLE2
      case 0x87: {  // TUPLE3
        std::vector<size_t> items(op - 0x84);
        for (size_t k = items.size(); k-- > 0;) {
          BINQ_ASSIGN_OR_RETURN(items[k], Pop());
        }
        BINQ_RETURN_IF_ERROR(PushTuple(std::move(items)));
        break;
      }
      case 'l': {  // LIST
        BINQ_ASSIGN_OR_RETURN(std::vector<size_t> items, PopMark());
        seqs_.push_back(std::move(items));
        BINQ_RETURN_IF_ERROR(Push({Kind::kList, {}, 0, seqs_.size() - 1}));
        break;
      }
      case 'd': {  // DICT
        BINQ_ASSIGN_OR_RETURN(const std::vector<size_t> items, PopMark());
        if (items.size() % 2 != 0) return Corrupt("DICT with an odd count");
        BINQ_RETURN_IF_ERROR(PushEmptyDict());
        const size_t dict = stack_.back();
        for (size_t k = 0; k < items.size(); k += 2) {
          BINQ_RETURN_IF_ERROR(SetItem(dict, items[k], items[k + 1]));
        }
        break;
      }
      case 's': {  // SETITEM
        BINQ_ASSIGN_OR_RETURN(const size_t value, Pop());
        BINQ_ASSIGN_OR_RETURN(const size_t key, Pop());
        BINQ_ASSIGN_OR_RETURN(const size_t dict, Top());
        BINQ_RETURN_IF_ERROR(SetItem(dict, key, value));
        break;
      }
      case 'u': {  // SETITEMS
        BINQ_ASSIGN_OR_RETURN(const std::vector<size_t> items, PopMark());
        if (items.size() % 2 != 0) return Corrupt("SETITEMS with an odd count");
        BINQ_ASSIGN_OR_RETURN(const size_t dict, Top());
        for (size_t k = 0; k < items.size(); k += 2) {
          BINQ_RETURN_IF_ERROR(SetItem(dict, items[k], items[k + 1]));
        }
        break;
      }
      case 'a': {  // APPEND
        BINQ_ASSIGN_OR_RETURN(const size_t item, Pop());
        BINQ_ASSIGN_OR_RETURN(const size_t list, Top());
        BINQ_RETURN_IF_ERROR(Append(list, {item}));
        break;
      }
      case 'e': {  // APPENDS
        BINQ_ASSIGN_OR_RETURN(const std::vector<size_t> items, PopMark());
        BINQ_ASSIGN_OR_RETURN(const size_t list, Top());
        BINQ_RETURN_IF_ERROR(Append(list, items));
        break;
      }
      case 'q': {  // BINPUT
        BINQ_ASSIGN_OR_RETURN(const uint64_t index, TakeUnsigned(1));
        BINQ_RETURN_IF_ERROR(Memoize(index));
        break;
      }
      case 'r': {  // LONG_BINPUT
        BINQ_ASSIGN_OR_RETURN(const uint64_t index, TakeUnsigned(4));
        BINQ_RETURN_IF_ERROR(Memoize(index));
        break;
      }
      case 0x94:  // MEMOIZE
        BINQ_RETURN_IF_ERROR(Memoize(memo_.size()));
        break;
      case 'h': {  // BINGET
        BINQ_ASSIGN_OR_RETURN(const uint64_t index, TakeUnsigned(1));
        BINQ_RETURN_IF_ERROR(Recall(index));
        break;
      }
      case 'j': {  // LONG_BINGET
        BINQ_ASSIGN_OR_RETURN(const uint64_t index, TakeUnsigned(4));
        BINQ_RETURN_IF_ERROR(Recall(index));
        break;
      }
      case 'K': {  // BININT1
        BINQ_ASSIGN_OR_RETURN(const uint64_t v, TakeUnsigned(1));
        BINQ_RETURN_IF_ERROR(PushInt(static_cast<int64_t>(v)));
        break;
      }
      case 'M': {  // BININT2
        BINQ_ASSIGN_OR_RETURN(const uint64_t v, TakeUnsigned(2));
        BINQ_RETURN_IF_ERROR(PushInt(static_cast<int64_t>(v)));
        break;
      }
      case 'J': {  // BININT: signed 32-bit
        BINQ_ASSIGN_OR_RETURN(const uint64_t v, TakeUnsigned(4));
        BINQ_RETURN_IF_ERROR(
            PushInt(static_cast<int64_t>(static_cast<int32_t>(v))));
        break;
      }
      case 0x8a:    // LONG1
      case 0x8b: {  // LONG4
        BINQ_ASSIGN_OR_RETURN(const uint64_t n,
                              TakeUnsigned(op == 0x8a ? 1 : 4));
        if (n > 8) {
          return Corrupt(
              absl::StrCat("a ", n, "-byte integer does not fit in 64 bits"));
        }
        BINQ_ASSIGN_OR_RETURN(const uint64_t raw, TakeUnsigned(n));
        int64_t v = static_cast<int64_t>(raw);
        // Two's complement of n bytes: sign-extend from the top byte.
        if (n > 0 && n < 8 && (raw >> (8 * n - 1)) & 1u) {
          v = static_cast<int64_t>(raw | (~uint64_t{0} << (8 * n)));
        }
        BINQ_RETURN_IF_ERROR(PushInt(v));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian double (kept only as a kind)
        BINQ_RETURN_IF_ERROR(Take(8).status());
        BINQ_RETURN_IF_ERROR(Push({Kind::kFloat, {}, 0, 0}));
        break;
      }
      case 'N':  // NONE
        BINQ_RETURN_IF_ERROR(Push({Kind::kNone, {}, 0, 0}));
        break;
      case 0x88:  // NEWTRUE
      case 0x89:  // NEWFALSE
        BINQ_RETURN_IF_ERROR(Push({Kind::kBool, {}, op == 0x88 ? 1 : 0, 0}));
        break;
      case 'X':    // BINUNICODE
      case 'T': {  // BINSTRING
        BINQ_ASSIGN_OR_RETURN(const uint64_t n, TakeUnsigned(4));
        BINQ_RETURN_IF_ERROR(PushString(Kind::kString, n));
        break;
      }
      case 0x8c:   // SHORT_BINUNICODE
      case 'U': {  // SHORT_BINSTRING
        BINQ_ASSIGN_OR_RETURN(const uint64_t n, TakeUnsigned(1));
        BINQ_RETURN_IF_ERROR(PushString(Kind::kString, n));
        break;
      }
      case 0x8d: {  // BINUNICODE8
        BINQ_ASSIGN_OR_RETURN(const uint64_t n, TakeUnsigned(8));
        if (n > data_.size()) return Corrupt("string longer than the pickle");
        BINQ_RETURN_IF_ERROR(PushString(Kind::kString, n));
        break;
      }
      case 'C': {  // SHORT_BINBYTES
        BINQ_ASSIGN_OR_RETURN(const uint64_t n, TakeUnsigned(1));
        BINQ_RETURN_IF_ERROR(PushString(Kind::kBytes, n));
        break;
      }
      case 'B': {  // BINBYTES
        BINQ_ASSIGN_OR_RETURN(const uint64_t n, TakeUnsigned(4));
        BINQ_RETURN_IF_ERROR(PushString(Kind::kBytes, n));
        break;
      }
      case 0x8e: {  // BINBYTES8
        BINQ_ASSIGN_OR_RETURN(const uint64_t n, TakeUnsigned(8));
        if (n > data_.size()) return Corrupt("bytes longer than the pickle");
        BINQ_RETURN_IF_ERROR(PushString(Kind::kBytes, n));
        break;
      }
      case 'c': {  // GLOBAL "module\nname\n"
        BINQ_ASSIGN_OR_RETURN(const std::string module, TakeLine());
        BINQ_ASSIGN_OR_RETURN(const std::string name, TakeLine());
        BINQ_RETURN_IF_ERROR(PushGlobal(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        BINQ_ASSIGN_OR_RETURN(const size_t name, Pop());
        BINQ_ASSIGN_OR_RETURN(const size_t module, Pop());
        if (values_[name].kind != Kind::kString ||
            values_[module].kind != Kind::kString) {
          return Corrupt("STACK_GLOBAL needs two str");
        }
        BINQ_RETURN_IF_ERROR(PushGlobal(strings_[values_[module].ref],
                                        strings_[values_[name].ref]));
        break;
      }
      case 'Q':  // BINPERSID
        BINQ_RETURN_IF_ERROR(PersistentLoad());
        break;
      case 'R':  // REDUCE
        BINQ_RETURN_IF_ERROR(Reduce());
        break;
      case 0x81: {  // NEWOBJ: cls.__new__(cls, *args), for OrderedDict only
        BINQ_ASSIGN_OR_RETURN(const size_t args, Pop());
        BINQ_ASSIGN_OR_RETURN(const size_t cls, Pop());
        if (values_[cls].kind != Kind::kGlobal ||
            values_[cls].global != Global::kOrderedDict ||
            values_[args].kind != Kind::kTuple || !TupleItems(args).empty()) {
          return Refuse("NEWOBJ of something other than OrderedDict()");
        }
        BINQ_RETURN_IF_ERROR(PushEmptyDict());
        break;
      }
      case 'b':  // BUILD
        BINQ_RETURN_IF_ERROR(Build());
        break;
      case '0':  // POP
        BINQ_RETURN_IF_ERROR(Pop().status());
        break;
      case '1':  // POP_MARK
        BINQ_RETURN_IF_ERROR(PopMark().status());
        break;
      case '2': {  // DUP
        BINQ_ASSIGN_OR_RETURN(const size_t top, Top());
        BINQ_RETURN_IF_ERROR(PushIndex(top));
        break;
      }
      default:
        return Corrupt(absl::StrFormat(
            "unsupported or corrupt opcode 0x%02x (torch.save does not write "
            "it for a state dict)",
            op));
    }
  }
}

}  // namespace

std::optional<DType> DTypeOfTorchStorage(absl::string_view type_name) {
  static const auto* const kTypes = new std::map<absl::string_view, DType>{
      {"DoubleStorage", DType::kF64}, {"FloatStorage", DType::kF32},
      {"HalfStorage", DType::kF16},   {"BFloat16Storage", DType::kBF16},
      {"LongStorage", DType::kI64},   {"IntStorage", DType::kI32},
      {"ShortStorage", DType::kI16},  {"CharStorage", DType::kI8},
      {"ByteStorage", DType::kU8},    {"BoolStorage", DType::kBool},
  };
  const auto it = kTypes->find(type_name);
  if (it == kTypes->end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::vector<PickledTensor>> ParseStateDictPickle(
    absl::Span<const uint8_t> pickle, absl::string_view what) {
  return Unpickler(pickle, what).Run();
}

}  // namespace binq::core
