#include "proto/convert/spec_convert.h"

namespace binq::api {
namespace {

// An empty proto string means "unset": keep the default.
void SetIfNonEmpty(const std::string& value, std::string* field) {
  if (!value.empty()) *field = value;
}

}  // namespace

JobSpec SpecFromProto(const v1::JobSpec& proto) {
  JobSpec spec;
  spec.model = proto.model();
  spec.technique = proto.technique();
  SetIfNonEmpty(proto.dataset(), &spec.dataset);
  spec.eval_datasets.assign(proto.eval_datasets().begin(), proto.eval_datasets().end());
  if (proto.has_blocksize()) spec.blocksize = proto.blocksize();
  SetIfNonEmpty(proto.salient_metric(), &spec.salient_metric);
  if (proto.has_nsamples()) spec.nsamples = proto.nsamples();
  if (proto.has_seqlen()) spec.seqlen = proto.seqlen();
  spec.seed = proto.seed();
  if (proto.has_percdamp()) spec.percdamp = proto.percdamp();
  SetIfNonEmpty(proto.crb_variant(), &spec.crb_variant);
  if (proto.has_lam()) spec.lam = proto.lam();
  if (proto.has_corr_damp()) spec.corr_damp = proto.corr_damp();
  if (proto.has_wbits()) spec.wbits = proto.wbits();
  SetIfNonEmpty(proto.device(), &spec.device);
  SetIfNonEmpty(proto.dtype(), &spec.dtype);
  if (proto.has_save_model()) spec.save_model = proto.save_model();
  if (proto.has_save_packed()) spec.save_packed = proto.save_packed();
  return spec;
}

JobSpec SpecFromSubmitRequest(const v1::SubmitJobRequest& request) {
  JobSpec spec = SpecFromProto(request.spec());
  spec.priority = request.priority();
  spec.user = request.user();
  spec.request_id = request.request_id();
  return spec;
}

v1::JobSpec SpecToProto(const JobSpec& spec) {
  v1::JobSpec proto;
  proto.set_model(spec.model);
  proto.set_technique(spec.technique);
  proto.set_dataset(spec.dataset);
  for (const std::string& d : spec.eval_datasets) proto.add_eval_datasets(d);
  proto.set_blocksize(spec.blocksize);
  proto.set_salient_metric(spec.salient_metric);
  proto.set_nsamples(spec.nsamples);
  proto.set_seqlen(spec.seqlen);
  proto.set_seed(spec.seed);
  proto.set_percdamp(spec.percdamp);
  proto.set_crb_variant(spec.crb_variant);
  proto.set_lam(spec.lam);
  proto.set_corr_damp(spec.corr_damp);
  proto.set_wbits(spec.wbits);
  proto.set_device(spec.device);
  proto.set_dtype(spec.dtype);
  proto.set_save_model(spec.save_model);
  proto.set_save_packed(spec.save_packed);
  return proto;
}

}  // namespace binq::api
