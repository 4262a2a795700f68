// Scheduler: the one thread that starts queued jobs. Each round it takes a
// snapshot from its Backend (the JobManager), asks the policy
// (ScheduleJobs, a pure function) which job goes to which free slot, and
// tells the backend to start them. A round runs when kicked (a job was
// submitted, finished or cancelled) and at least every `idle_period`.
//
// Thread-safe. Calls the backend from the scheduler thread only, holding no
// lock of its own.
#ifndef BINQ_SERVER_SCHEDULER_SCHEDULER_H_
#define BINQ_SERVER_SCHEDULER_SCHEDULER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/scheduler/policy.h"

namespace binq::server {

class Scheduler {
 public:
  class Backend {
   public:
    virtual ~Backend() = default;
    // Queued jobs, free slots, usage and running jobs, now. An error skips
    // the round (it is logged and retried).
    virtual absl::StatusOr<SchedulingInput> SchedulingState() = 0;
    // Starts `assignment`; failures are the backend's to handle.
    virtual void StartJob(const Assignment& assignment) = 0;
  };

  explicit Scheduler(Backend* backend, absl::Duration idle_period = absl::Seconds(1));
  ~Scheduler();  // calls Stop()

  void Start();
  // Asks for a round soon. Cheap; callable from any thread, under any lock.
  void Kick();
  // Finishes the current round and joins the thread. Idempotent.
  void Stop();

 private:
  void Loop();

  Backend* const backend_;
  const absl::Duration idle_period_;
  absl::Mutex mu_;
  bool kicked_ ABSL_GUARDED_BY(mu_) = true;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace binq::server

#endif  // BINQ_SERVER_SCHEDULER_SCHEDULER_H_
