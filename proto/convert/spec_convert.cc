#include "proto/convert/spec_convert.h"

#include "proto/convert/option_value_convert.h"

namespace binq::api {
namespace {

// An empty proto string means "unset": keep the default.
void SetIfNonEmpty(const std::string& value, std::string* field) {
  if (!value.empty()) *field = value;
}

// The options that were JobSpec fields before technique_options, as sent by
// older clients.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
OptionValues LegacyOptions(const v1::JobSpec& proto) {
  OptionValues legacy;
  if (proto.has_blocksize()) legacy["blocksize"] = int64_t{proto.blocksize()};
  if (!proto.salient_metric().empty()) legacy["salient_metric"] = proto.salient_metric();
  if (proto.has_percdamp()) legacy["percdamp"] = proto.percdamp();
  if (!proto.crb_variant().empty()) legacy["crb_variant"] = proto.crb_variant();
  if (proto.has_lam()) legacy["lam"] = proto.lam();
  if (proto.has_corr_damp()) legacy["corr_damp"] = proto.corr_damp();
  if (proto.has_wbits()) legacy["wbits"] = int64_t{proto.wbits()};
  return legacy;
}
#pragma GCC diagnostic pop

}  // namespace

absl::StatusOr<JobSpec> SpecFromProto(const v1::JobSpec& proto) {
  JobSpec spec;
  spec.model = proto.model();
  spec.technique = proto.technique();
  SetIfNonEmpty(proto.dataset(), &spec.dataset);
  spec.eval_datasets.assign(proto.eval_datasets().begin(), proto.eval_datasets().end());
  for (const auto& [key, value] : proto.technique_options()) {
    auto v = OptionFromProto(key, value);
    if (!v.ok()) return v.status();
    spec.technique_options[key] = *std::move(v);
  }
  MergeLegacyOptions(spec.technique, LegacyOptions(proto), spec.technique_options);
  if (proto.has_nsamples()) spec.nsamples = proto.nsamples();
  if (proto.has_seqlen()) spec.seqlen = proto.seqlen();
  spec.seed = proto.seed();
  SetIfNonEmpty(proto.device(), &spec.device);
  SetIfNonEmpty(proto.dtype(), &spec.dtype);
  if (proto.has_save_model()) spec.save_model = proto.save_model();
  if (proto.has_save_packed()) spec.save_packed = proto.save_packed();
  return spec;
}

absl::StatusOr<JobSpec> SpecFromSubmitRequest(const v1::SubmitJobRequest& request) {
  auto spec = SpecFromProto(request.spec());
  if (!spec.ok()) return spec.status();
  spec->priority = request.priority();
  spec->user = request.user();
  spec->request_id = request.request_id();
  return spec;
}

v1::JobSpec SpecToProto(const JobSpec& spec) {
  v1::JobSpec proto;
  proto.set_model(spec.model);
  proto.set_technique(spec.technique);
  proto.set_dataset(spec.dataset);
  for (const std::string& d : spec.eval_datasets) proto.add_eval_datasets(d);
  for (const auto& [key, value] : spec.technique_options) {
    (*proto.mutable_technique_options())[key] = OptionToProto(value);
  }
  proto.set_nsamples(spec.nsamples);
  proto.set_seqlen(spec.seqlen);
  proto.set_seed(spec.seed);
  proto.set_device(spec.device);
  proto.set_dtype(spec.dtype);
  proto.set_save_model(spec.save_model);
  proto.set_save_packed(spec.save_packed);
  return proto;
}

}  // namespace binq::api
