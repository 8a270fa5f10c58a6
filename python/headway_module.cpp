// headway._headway: the Tracker and StagePlan for Python (pybind11).
//
// Threading contract: the hot calls (update_stage_progress, update,
// start_stage, complete_stage, cancel_requested) keep the GIL: they only take
// the Tracker's short lock, which the flusher never holds while it waits for
// Redis or runs Python code. Every call that can wait (the terminal calls,
// flush, close and destruction) releases the GIL, so other Python threads run
// and the flusher can call on_write, which takes the GIL itself.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "headway/manual_clock.hpp"
#include "headway/tracker.hpp"
#include "headway/version.hpp"

namespace py = pybind11;

namespace headway::python {
namespace {

// Set once in PYBIND11_MODULE; the exception types a rejected call raises.
PyObject* tracker_error = nullptr;
PyObject* tracker_timeout_error = nullptr;

bool interpreter_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing() != 0;
#else
  return _Py_IsFinalizing() != 0;
#endif
}

template <typename Duration>
Duration seconds_option(const char* name, double seconds, bool allow_zero) {
  if (!std::isfinite(seconds) || seconds < 0 || (!allow_zero && seconds == 0))
    throw py::value_error(std::string(name) + " must be a positive number of seconds, got " +
                          std::to_string(seconds));
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

// The C++ side reports a terminal write Redis did not acknowledge in time
// with this wording (tracker_impl.cpp); everything else is a rejected call.
bool is_timeout(const std::string& message) {
  return message.find("did not acknowledge") != std::string::npos ||
         message.find("not acknowledged within") != std::string::npos;
}

void raise_if_failed(const Result& result) {
  if (result)
    return;
  PyErr_SetString(is_timeout(result.error()) ? tracker_timeout_error : tracker_error,
                  result.error().c_str());
  throw py::error_already_set();
}

MetadataValue to_metadata_value(const std::string& key, const py::handle& value) {
  if (value.is_none())
    return nullptr;
  if (py::isinstance<py::bool_>(value))
    return value.cast<bool>();
  if (py::isinstance<py::int_>(value))
    return value.cast<std::int64_t>();
  if (py::isinstance<py::float_>(value))
    return value.cast<double>();
  if (py::isinstance<py::str>(value))
    return value.cast<std::string>();
  throw py::type_error("metadata['" + key + "'] must be None, bool, int, float or str, not " +
                       std::string(py::str(py::type::handle_of(value).attr("__name__"))));
}

Metadata to_metadata(const std::optional<py::dict>& dict) {
  Metadata metadata;
  if (!dict)
    return metadata;
  for (const auto& [key, value] : *dict) {
    if (!py::isinstance<py::str>(key))
      throw py::type_error("metadata keys must be str");
    const auto name = key.cast<std::string>();
    metadata.emplace(name, to_metadata_value(name, value));
  }
  return metadata;
}

StagePlan plan_from_weights(const py::object& weights) {
  std::vector<std::pair<std::string, double>> pairs;
  py::object items = py::isinstance<py::dict>(weights) ? weights.attr("items")() : weights;
  for (const auto& item : items) {
    auto pair = item.cast<py::sequence>();
    if (pair.size() != 2)
      throw py::value_error("from_weights: each stage is a (name, weight) pair");
    pairs.emplace_back(pair[0].cast<std::string>(), pair[1].cast<double>());
  }
  return StagePlan::from_weights(pairs);
}

// EtaHistory's C++ constructors skip a run they cannot use; from Python a
// run that cannot be used is a mistake worth raising, so every run is checked
// here first and the message names it.
std::string run_label(std::size_t run) {
  return "run " + std::to_string(run + 1);
}

void check_runs_not_empty(const char* function, std::size_t count) {
  if (count == 0)
    throw py::value_error(std::string(function) + ": no runs (pass at least one earlier run)");
}

bool is_pair(const py::handle& item) {
  return py::isinstance<py::sequence>(item) && !py::isinstance<py::str>(item) && py::len(item) == 2;
}

double number(const py::handle& value, const std::string& where) {
  if (!py::isinstance<py::float_>(value) && !py::isinstance<py::int_>(value))
    throw py::type_error(where + ": expected a number, got " +
                         std::string(py::str(py::type::handle_of(value).attr("__name__"))));
  return value.cast<double>();
}

void check_seconds(const std::string& where, const char* what, double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    throw py::value_error(where + ": " + what + " must be a finite number of seconds >= 0, got " +
                          std::string(py::repr(py::float_(seconds))));
}

EtaHistory history_from_runs(const py::sequence& runs) {
  check_runs_not_empty("from_runs", runs.size());
  std::vector<std::vector<std::pair<double, double>>> reports;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const std::string label = "from_runs: " + run_label(r);
    py::object run = runs[r];
    if (!py::isinstance<py::sequence>(run) || py::isinstance<py::str>(run))
      throw py::type_error(label + " must be a sequence of (elapsed, percent) pairs");
    auto points = run.cast<py::sequence>();
    if (points.size() == 0)
      throw py::value_error(label + " has no reports");
    std::vector<std::pair<double, double>> parsed;
    double last_elapsed = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const std::string where = label + ", report " + std::to_string(i + 1);
      py::object item = points[i];
      if (!is_pair(item))
        throw py::type_error(where + " must be an (elapsed, percent) pair");
      auto pair = item.cast<py::sequence>();
      const double elapsed = number(pair[0], where);
      const double percent = number(pair[1], where);
      check_seconds(where, "elapsed", elapsed);
      if (elapsed < last_elapsed)
        throw py::value_error(where + ": elapsed goes back in time (" +
                              std::string(py::repr(py::float_(elapsed))) + " after " +
                              std::string(py::repr(py::float_(last_elapsed))) + ")");
      if (!std::isfinite(percent) || percent < 0 || percent > 100)
        throw py::value_error(where + ": percent must be in [0, 100], got " +
                              std::string(py::repr(py::float_(percent))));
      last_elapsed = elapsed;
      parsed.emplace_back(elapsed, percent);
    }
    if (EtaHistory::from_runs({parsed}).runs != 1)
      throw py::value_error(label + " never reaches 100 % after a positive elapsed time");
    reports.push_back(std::move(parsed));
  }
  return EtaHistory::from_runs(reports);
}

// One run's stage durations: a dict {stage: seconds} (in the order the stages
// ran) or a sequence of (stage, seconds) pairs.
std::vector<StageDuration> stage_durations(const StagePlan& plan, const py::handle& run,
                                           const std::string& label) {
  if (py::isinstance<py::str>(run) ||
      !(py::isinstance<py::dict>(run) || py::isinstance<py::sequence>(run)))
    throw py::type_error(label + " must be a dict {stage: seconds} or (stage, seconds) pairs");
  py::object items =
      py::isinstance<py::dict>(run) ? run.attr("items")() : py::reinterpret_borrow<py::object>(run);
  std::vector<StageDuration> out;
  for (const auto& item : items) {
    if (!is_pair(item) || !py::isinstance<py::str>(item.cast<py::sequence>()[0]))
      throw py::type_error(label + ": each stage is a (name, seconds) pair");
    auto pair = item.cast<py::sequence>();
    StageDuration stage{pair[0].cast<std::string>(), number(pair[1], label)};
    if (!plan.index_of(stage.stage)) {
      std::string known;
      for (const auto& s : plan.stages())
        known += (known.empty() ? "" : ", ") + s.name;
      throw py::value_error(label + ": unknown stage " +
                            std::string(py::repr(py::str(stage.stage))) + " (the plan has " +
                            known + ")");
    }
    check_seconds(label + ", stage " + stage.stage, "its duration", stage.seconds);
    out.push_back(std::move(stage));
  }
  if (out.empty())
    throw py::value_error(label + " has no stages");
  return out;
}

EtaHistory history_from_stage_durations(const StagePlan& plan, const py::sequence& runs) {
  check_runs_not_empty("from_stage_durations", runs.size());
  std::vector<std::vector<StageDuration>> parsed;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const std::string label = "from_stage_durations: " + run_label(r);
    auto run = stage_durations(plan, py::object(runs[r]), label);
    if (EtaHistory::from_stage_durations(plan, {run}).runs != 1)
      throw py::value_error(label + " never reaches the end of the plan (its last stage, " +
                            plan[plan.size() - 1].name + ", is missing) or takes no time");
    parsed.push_back(std::move(run));
  }
  return EtaHistory::from_stage_durations(plan, parsed);
}

// The Python object behind headway.Tracker. `tracker_` is replaced only with
// the GIL held; calls that release the GIL keep their own reference, so
// close() on one thread never frees a Tracker another thread still waits in.
class PyTracker {
 public:
  PyTracker(const std::string& job_id, const std::string& redis_url, std::optional<StagePlan> plan,
            double ttl, double max_writes_per_second, double terminal_timeout,
            double cancel_poll_interval, std::int64_t attempt, std::size_t events_max_len,
            const std::string& eta_estimator, std::optional<EtaHistory> eta_history,
            std::optional<py::function> on_write, double connect_timeout, double command_timeout,
            std::shared_ptr<ManualClock> clock)
      : job_id_(job_id) {
    RedisConfig redis = RedisConfig::from_url(redis_url);
    redis.connect_timeout =
        seconds_option<std::chrono::milliseconds>("connect_timeout", connect_timeout, false);
    redis.command_timeout =
        seconds_option<std::chrono::milliseconds>("command_timeout", command_timeout, false);
    TrackerOptions options;
    options.ttl = seconds_option<std::chrono::seconds>("ttl", ttl, false);
    if (options.ttl.count() < 1)
      throw py::value_error("ttl must be at least 1 second");
    if (!(max_writes_per_second > 0) || !std::isfinite(max_writes_per_second))
      throw py::value_error("max_writes_per_second must be positive");
    options.max_writes_per_second = max_writes_per_second;
    options.terminal_timeout =
        seconds_option<std::chrono::milliseconds>("terminal_timeout", terminal_timeout, true);
    // The C++ constructor checks the range (0, 1 s] and names it.
    options.cancel_poll_interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(
            std::isfinite(cancel_poll_interval) ? cancel_poll_interval : -1));
    if (attempt < 1)
      throw py::value_error("attempt must be at least 1");
    options.attempt = attempt;
    options.events_max_len = events_max_len;
    options.eta_estimator = eta_estimator;
    options.eta_history = std::move(eta_history);
    options.clock = std::move(clock);  // null: the system clock
    if (on_write) {
      on_write_ = std::move(*on_write);
      options.on_write = [callback = &on_write_](std::string_view record) {
        // Runs on the flusher thread; no Python may run once the
        // interpreter is shutting down.
        if (interpreter_finalizing())
          return;
        py::gil_scoped_acquire gil;
        try {
          (*callback)(py::str(record.data(), record.size()));
        } catch (py::error_already_set& error) {
          error.discard_as_unraisable("headway.Tracker on_write callback");
        }
      };
    }
    tracker_ = std::make_shared<Tracker>(std::move(redis), job_id,
                                         plan ? std::move(*plan) : StagePlan::reference(),
                                         std::move(options));
  }

  ~PyTracker() { release(); }

  void start_stage(const std::string& name) { raise_if_failed(get().start_stage(name)); }
  void update_stage_progress(std::int64_t completed, std::int64_t total) {
    raise_if_failed(get().update_stage_progress(completed, total));
  }
  void complete_stage() { raise_if_failed(get().complete_stage()); }

  void update(std::optional<std::string> stage, std::optional<double> stage_progress,
              std::optional<double> overall_progress, std::optional<std::int64_t> completed_items,
              std::optional<std::int64_t> total_items, std::optional<py::dict> metadata) {
    ProgressUpdate update;
    update.stage = std::move(stage);
    update.stage_progress = stage_progress;
    update.overall_progress = overall_progress;
    update.completed_items = completed_items;
    update.total_items = total_items;
    update.metadata = to_metadata(metadata);
    raise_if_failed(get().update(update));
  }

  void mark_completed() {
    terminal_.store(true);
    waiting([](Tracker& t) { return t.mark_completed(); });
  }
  void mark_failed(const std::string& message) {
    terminal_.store(true);
    waiting([&](Tracker& t) { return t.mark_failed(message); });
  }
  void mark_cancelled() {
    terminal_.store(true);
    waiting([](Tracker& t) { return t.mark_cancelled(); });
  }
  void flush(double timeout) {
    const auto limit = seconds_option<std::chrono::milliseconds>("timeout", timeout, true);
    waiting([&](Tracker& t) { return t.flush(limit); });
  }

  bool cancel_requested() { return get().cancel_requested(); }
  bool terminal() const { return terminal_.load(); }
  bool closed() const { return tracker_ == nullptr; }
  const std::string& job_id() const { return job_id_; }

  TrackerStats stats() {
    if (tracker_)
      final_stats_ = tracker_->stats();
    return final_stats_;
  }

  // Flushes what is left (at most terminal_timeout) and stops the flusher.
  void close() {
    if (tracker_)
      final_stats_ = tracker_->stats();
    release();
  }

 private:
  Tracker& get() {
    if (!tracker_) {
      PyErr_SetString(tracker_error, "the Tracker is closed");
      throw py::error_already_set();
    }
    return *tracker_;
  }

  template <typename Call>
  void waiting(Call call) {
    std::shared_ptr<Tracker> tracker = get_shared();
    Result result;
    {
      py::gil_scoped_release release;
      result = call(*tracker);
      tracker.reset();  // may be the last reference: its flush waits too
    }
    raise_if_failed(result);
  }

  std::shared_ptr<Tracker> get_shared() {
    get();
    return tracker_;
  }

  void release() {
    std::shared_ptr<Tracker> last = std::move(tracker_);
    if (!last)
      return;
    py::gil_scoped_release release;
    last.reset();
  }

  std::string job_id_;
  std::atomic<bool> terminal_{false};
  TrackerStats final_stats_{};
  // Declared before tracker_ so that it outlives the flusher that calls it.
  py::object on_write_;
  std::shared_ptr<Tracker> tracker_;
};

}  // namespace
}  // namespace headway::python

PYBIND11_MODULE(_headway, m) {
  using namespace headway;
  using namespace headway::python;
  m.doc() = "Progress reporting for long-running jobs: the headway Tracker.";
  m.attr("__version__") = headway::version();

  static py::exception<void> base_error(m, "TrackerError", PyExc_RuntimeError);
  tracker_error = base_error.ptr();
  static py::exception<void> timeout_error(m, "TrackerTimeoutError", base_error.ptr());
  tracker_timeout_error = timeout_error.ptr();

  py::class_<Stage>(m, "Stage")
      .def_readonly("name", &Stage::name)
      .def_readonly("start", &Stage::start)
      .def_readonly("end", &Stage::end)
      .def("__repr__", [](const Stage& s) {
        return "Stage(name=" + std::string(py::repr(py::str(s.name))) +
               ", start=" + std::string(py::repr(py::float_(s.start))) +
               ", end=" + std::string(py::repr(py::float_(s.end))) + ")";
      });

  py::class_<StagePlan>(m, "StagePlan")
      .def_static("reference", &StagePlan::reference)
      .def_static("from_weights", &plan_from_weights, py::arg("weights"))
      .def_property_readonly("stages", &StagePlan::stages)
      .def("__len__", &StagePlan::size)
      .def("index_of", &StagePlan::index_of, py::arg("name"))
      .def("overall_percent", &StagePlan::overall_percent, py::arg("index"), py::arg("fraction"))
      .def("__repr__", [](const StagePlan& plan) {
        std::string text = "StagePlan.from_weights([";
        for (std::size_t i = 0; i < plan.size(); ++i) {
          text += (i ? ", (" : "(") + std::string(py::repr(py::str(plan[i].name))) + ", " +
                  std::string(py::repr(py::float_(plan[i].end - plan[i].start))) + ")";
        }
        return text + "])";
      });

  py::class_<TrackerStats>(m, "TrackerStats")
      .def_readonly("updates", &TrackerStats::updates)
      .def_readonly("writes", &TrackerStats::writes)
      .def_readonly("failed_writes", &TrackerStats::failed_writes)
      .def("__repr__", [](const TrackerStats& s) {
        return "TrackerStats(updates=" + std::to_string(s.updates) +
               ", writes=" + std::to_string(s.writes) +
               ", failed_writes=" + std::to_string(s.failed_writes) + ")";
      });

  py::class_<EtaHistory>(m, "EtaHistory")
      .def_static("from_runs", &history_from_runs, py::arg("runs"))
      .def_static("from_stage_durations", &history_from_stage_durations, py::arg("plan"),
                  py::arg("runs"))
      .def_readonly("runs", &EtaHistory::runs)
      .def_readonly("log_elapsed", &EtaHistory::log_elapsed)
      .def_readonly("log_remaining", &EtaHistory::log_remaining)
      .def_readonly("log_remaining_variance", &EtaHistory::log_remaining_variance)
      .def_property_readonly("typical_duration",
                             [](const EtaHistory& h) { return std::exp(h.log_elapsed[100]); })
      .def("__repr__", [](const EtaHistory& h) {
        return "EtaHistory(runs=" + std::to_string(h.runs) + ", typical_duration=" +
               std::string(py::repr(py::float_(std::exp(h.log_elapsed[100])))) + ")";
      });

  // Held by shared_ptr: a Tracker keeps its clock alive. Its time is read
  // by the flusher thread without the GIL, so it cannot be a Python callable.
  py::class_<ManualClock, std::shared_ptr<ManualClock>>(m, "ManualClock")
      .def(py::init<double>(), py::arg("start") = 1'700'000'000.0)
      .def("now", &ManualClock::now)
      .def(
          "advance",
          [](ManualClock& clock, double seconds) {
            if (!std::isfinite(seconds) || seconds < 0)
              throw py::value_error("advance: seconds must be a finite number >= 0");
            py::gil_scoped_release release;
            clock.advance(seconds);
          },
          py::arg("seconds"))
      .def(
          "wait_until_parked",
          [](const ManualClock& clock, std::size_t count, double timeout) {
            const auto limit = seconds_option<std::chrono::milliseconds>("timeout", timeout, true);
            py::gil_scoped_release release;
            return clock.wait_until_parked(count, limit);
          },
          py::arg("count") = 1, py::arg("timeout") = 60.0)
      .def("__repr__", [](const ManualClock& clock) {
        return "ManualClock(" + std::string(py::repr(py::float_(clock.now()))) + ")";
      });

  py::class_<PyTracker>(m, "Tracker")
      .def(py::init<const std::string&, const std::string&, std::optional<StagePlan>, double,
                    double, double, double, std::int64_t, std::size_t, const std::string&,
                    std::optional<EtaHistory>, std::optional<py::function>, double, double,
                    std::shared_ptr<ManualClock>>(),
           py::arg("job_id"), py::arg("redis_url") = "redis://127.0.0.1:6379",
           py::arg("plan") = py::none(), py::kw_only(), py::arg("ttl") = 7200.0,
           py::arg("max_writes_per_second") = 10.0, py::arg("terminal_timeout") = 10.0,
           py::arg("cancel_poll_interval") = 0.5, py::arg("attempt") = 1,
           py::arg("events_max_len") = 100000, py::arg("eta_estimator") = "",
           py::arg("eta_history") = py::none(), py::arg("on_write") = py::none(),
           py::arg("connect_timeout") = 1.0, py::arg("command_timeout") = 2.0,
           py::arg("clock") = py::none())
      .def("start_stage", &PyTracker::start_stage, py::arg("name"))
      .def("update_stage_progress", &PyTracker::update_stage_progress, py::arg("completed"),
           py::arg("total"))
      .def("complete_stage", &PyTracker::complete_stage)
      .def("update", &PyTracker::update, py::kw_only(), py::arg("stage") = py::none(),
           py::arg("stage_progress") = py::none(), py::arg("overall_progress") = py::none(),
           py::arg("completed_items") = py::none(), py::arg("total_items") = py::none(),
           py::arg("metadata") = py::none())
      .def("mark_completed", &PyTracker::mark_completed)
      .def("mark_failed", &PyTracker::mark_failed, py::arg("message"))
      .def("mark_cancelled", &PyTracker::mark_cancelled)
      .def("cancel_requested", &PyTracker::cancel_requested)
      .def("flush", &PyTracker::flush, py::arg("timeout"))
      .def("stats", &PyTracker::stats)
      .def("close", &PyTracker::close)
      .def_property_readonly("job_id", &PyTracker::job_id)
      .def_property_readonly("terminal", &PyTracker::terminal)
      .def_property_readonly("closed", &PyTracker::closed)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](PyTracker& self, const py::object& type, const py::object& value, const py::object&) {
             // A clean exit completes the job, an exception fails it with the
             // exception's text, unless the body already ended it. The Tracker is
             // closed either way; the body's exception is never swallowed.
             if (!self.closed() && !self.terminal()) {
               if (type.is_none()) {
                 try {
                   self.mark_completed();
                 } catch (py::error_already_set&) {
                   self.close();
                   throw;
                 }
               } else {
                 std::string message = py::str(value);
                 std::string name = py::str(type.attr("__name__"));
                 try {
                   self.mark_failed(message.empty() ? name : name + ": " + message);
                 } catch (py::error_already_set&) {
                   // The body's own exception is the one to report.
                 }
               }
             }
             self.close();
             return false;
           });
}
