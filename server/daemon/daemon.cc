#include "server/daemon/daemon.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "core/base/model_locator.h"
#include "server/daemon/logging.h"
#include "server/executor/worker_command.h"
#include "server/scheduler/slots.h"
#include "spdlog/spdlog.h"

namespace binq::server {
namespace {

namespace fs = std::filesystem;

// "HOST:PORT" → HOST (brackets kept for IPv6).
std::string HostOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

// The address a client dials for a server bound to `listen` on `port`.
std::string DialAddress(const std::string& listen, int port) {
  std::string host = HostOf(listen);
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "[::]") host = "[::1]";
  return absl::StrCat(host, ":", port);
}

void CommonServerOptions(grpc::ServerBuilder& builder) {
  // Keepalive as SERVICE.md says: clients may ping every 20 s, even between
  // calls (long watches stay up through idle proxies).
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 20000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  // A bounded pool for the sync (unary) handlers.
  grpc::ResourceQuota quota("binqd");
  quota.SetMaxThreads(64);
  builder.SetResourceQuota(quota);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 4);
}

}  // namespace

Daemon::Daemon(DaemonConfig config) : config_(std::move(config)) {}

Daemon::~Daemon() { Shutdown(); }

void Daemon::OnChildSignal() {
  if (LocalExecutor* e = executor_for_signals_.load(); e != nullptr) e->NotifyChildExited();
}

absl::Status Daemon::Start() {
  BINQ_ASSIGN_OR_RETURN(lock_, StateDirLock::Acquire(config_.state_dir));
  BINQ_RETURN_IF_ERROR(
      SetUpLogging((fs::path(config_.state_dir) / "binqd.log").string(), config_.log_level));
  BINQ_ASSIGN_OR_RETURN(std::vector<Slot> slots, MakeSlots(config_.gpus, config_.cpu_slots));
  if (::access(config_.worker_binary.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("--worker-binary: ", config_.worker_binary,
                                                      " is not an executable file"));
  }
  std::string slot_names;
  for (const Slot& s : slots) absl::StrAppend(&slot_names, slot_names.empty() ? "" : " ", s.Name());
  spdlog::info("binqd starting: state {}, slots {}, worker {}, data {}", config_.state_dir,
               slot_names, config_.worker_binary, config_.data_dir);

  JobStore::Options store_options;
  store_options.path = (fs::path(config_.state_dir) / "binq.db").string();
  store_options.usage_half_life_seconds = absl::ToDoubleSeconds(config_.fair_share_half_life);
  BINQ_ASSIGN_OR_RETURN(store_, JobStore::Open(store_options));

  // Ticks often enough that an idle watcher's heartbeat is at most a quarter
  // interval late.
  hub_ = std::make_unique<EventHub>(std::clamp(config_.heartbeat_interval / 4,
                                               absl::Milliseconds(5), absl::Seconds(1)));
  executor_ = std::make_unique<LocalExecutor>([this](const WorkerExit& exit) {
    manager_->OnWorkerExit(exit);
  });
  executor_for_signals_ = executor_.get();

  JobManager::Options manager_options;
  manager_options.state_dir = config_.state_dir;
  manager_options.data_dir = config_.data_dir;
  manager_options.hub_cache_dir = DefaultHubCacheDir();
  manager_options.worker_binary = config_.worker_binary;
  manager_options.worker_env = CurrentEnvironment();
  manager_options.slots = slots;
  manager_options.cancel_grace = config_.cancel_grace;
  manager_options.usage_half_life_seconds = store_options.usage_half_life_seconds;
  manager_ = std::make_unique<JobManager>(manager_options, store_.get(), hub_.get(),
                                          executor_.get(), &clock_);
  BINQ_RETURN_IF_ERROR(manager_->Recover());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  {
    worker_service_ = std::make_unique<WorkerServiceImpl>(manager_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(config_.worker_listen, grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(worker_service_.get());
    CommonServerOptions(builder);
    worker_server_ = builder.BuildAndStart();
    if (worker_server_ == nullptr || port == 0) {
      return absl::UnavailableError(
          absl::StrCat("--worker-listen ", config_.worker_listen, ": cannot listen there"));
    }
    worker_address_ = DialAddress(config_.worker_listen, port);
    manager_->SetWorkerAddress(worker_address_);
  }

  scheduler_ = std::make_unique<Scheduler>(manager_.get());
  manager_->SetQueueChangedCallback([this] { scheduler_->Kick(); });
  scheduler_->Start();

  {
    WatchOptions watch;
    watch.max_buffered = static_cast<size_t>(config_.watch_buffer);
    watch.heartbeat_interval = config_.heartbeat_interval;
    binq_service_ = std::make_unique<BinqServiceImpl>(manager_.get(), hub_.get(), watch);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(config_.listen, grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(binq_service_.get());
    CommonServerOptions(builder);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port == 0) {
      return absl::UnavailableError(
          absl::StrCat("--listen ", config_.listen, ": cannot listen there (in use?)"));
    }
    address_ = DialAddress(config_.listen, port);
    server_->GetHealthCheckService()->SetServingStatus(true);
    server_->GetHealthCheckService()->SetServingStatus(v1::BinqService::service_full_name(), true);
  }
  spdlog::info("binqd listening on {} (worker API on {})", address_, worker_address_);
  // The one line tests and scripts read to find the port.
  std::printf("binqd listening on %s\n", address_.c_str());
  std::fflush(stdout);
  return absl::OkStatus();
}

void Daemon::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (lock_ == nullptr) return;  // Start never got going
  spdlog::info("binqd shutting down");
  if (server_ != nullptr) server_->GetHealthCheckService()->SetServingStatus(false);
  if (hub_ != nullptr) hub_->Shutdown();  // watches end with UNAVAILABLE
  if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (scheduler_ != nullptr) scheduler_->Stop();
  if (manager_ != nullptr) {
    const int left = manager_->StopWorkers(config_.cancel_grace + absl::Seconds(5));
    if (left > 0) spdlog::warn("{} workers did not exit in time", left);
  }
  if (worker_server_ != nullptr) {
    worker_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  executor_for_signals_ = nullptr;
  if (executor_ != nullptr) executor_->Shutdown();
  server_.reset();
  worker_server_.reset();
  scheduler_.reset();
  manager_.reset();
  executor_.reset();
  hub_.reset();
  store_.reset();
  spdlog::info("binqd stopped");
  lock_.reset();
}

}  // namespace binq::server
