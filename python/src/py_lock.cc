// The lock manager (DESIGN.md §7) for Python: LockManager(url) with
// acquire/try_acquire/renew/release/release_all/acquire_all/list/inspect,
// and lock(...) as a context manager (the command lock: a LockGuard that
// releases on every exit path, optionally renewing its lease meanwhile).
// Waiting and backend I/O run with the GIL released; waits check for signals
// (Ctrl-C) every few milliseconds. LockManager pickles as its URL, Lease as
// its fields.
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <utility>
#include <variant>

#include "bindings.h"
#include "datashard/errors.h"
#include "datashard/lock_guard.h"
#include "datashard/lock_manager.h"

namespace py = pybind11;

namespace datashard::python {
namespace {

std::chrono::milliseconds ToDuration(py::handle obj, const char* what) {
  PyObject* o = obj.ptr();
  if (PyUnicode_Check(o)) return ParseLockDuration(obj.cast<std::string>());
  double seconds = 0;
  if (py::isinstance(obj, py::module_::import("datetime").attr("timedelta"))) {
    seconds = obj.attr("total_seconds")().cast<double>();
  } else if (!PyBool_Check(o) && (PyLong_Check(o) || PyFloat_Check(o))) {
    seconds = obj.cast<double>();
  } else {
    throw InvalidArgument(std::string(what) +
                          " must be seconds (int or float), a datetime.timedelta or a text "
                          "like '500ms' or '30s', got " +
                          py::repr(obj).cast<std::string>());
  }
  if (!(seconds >= 0) || seconds > 1e9) {
    throw InvalidArgument(std::string(what) + " must be between 0 and 1e9 seconds, got " +
                          py::repr(obj).cast<std::string>());
  }
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000 + 0.5));
}

LockMode ModeOf(bool shared) { return shared ? LockMode::kShared : LockMode::kExclusive; }

// The cancel hook of a wait: runs pending signal handlers (Ctrl-C raises
// KeyboardInterrupt there) and carries their exception through the C++ wait,
// which withdraws the wait and releases a grant that came with the signal.
int64_t SteadyNs(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// (resource, owner, mode, expiry in epoch ms, fencing token, client deadline
// in steady-clock ns): the pickled form of a Lease.
py::tuple LeaseState(const Lease& l) {
  return py::make_tuple(
      l.resource, l.owner, LockModeName(l.mode),
      std::chrono::duration_cast<std::chrono::milliseconds>(l.expiry.time_since_epoch()).count(),
      l.fencing_token, SteadyNs(l.held_until));
}

Lease LeaseFromState(const py::tuple& t) {
  if (t.size() != 6)
    throw InvalidArgument("a pickled Lease has 6 fields, got " + std::to_string(t.size()));
  Lease l;
  l.resource = t[0].cast<std::string>();
  l.owner = t[1].cast<std::string>();
  const std::string mode = t[2].cast<std::string>();
  if (mode != "shared" && mode != "exclusive") {
    throw InvalidArgument("a pickled Lease has mode 'shared' or 'exclusive', got '" + mode + "'");
  }
  l.mode = mode == "shared" ? LockMode::kShared : LockMode::kExclusive;
  l.expiry = std::chrono::system_clock::time_point(std::chrono::milliseconds(t[3].cast<int64_t>()));
  l.fencing_token = t[4].cast<uint64_t>();
  l.held_until =
      std::chrono::steady_clock::time_point(std::chrono::nanoseconds(t[5].cast<int64_t>()));
  return l;
}

// The lease a renew/release names: a Lease (owner omitted), or a resource
// and an owner (by name: whichever lease the owner holds there now).
std::variant<Lease, std::pair<std::string, std::string>> Target(py::handle what, py::handle owner,
                                                                const char* call) {
  if (py::isinstance<Lease>(what)) {
    if (!owner.is_none()) {
      throw InvalidArgument(std::string(call) + ": pass a Lease alone, or a resource with owner=");
    }
    return what.cast<Lease>();
  }
  if (!PyUnicode_Check(what.ptr())) {
    throw InvalidArgument(std::string(call) +
                          ": the first argument must be a Lease or a resource str, got " +
                          py::repr(what).cast<std::string>());
  }
  if (owner.is_none() || !PyUnicode_Check(owner.ptr())) {
    throw InvalidArgument(std::string(call) + "('" + what.cast<std::string>() +
                          "'): owner= (a str) is required with a resource");
  }
  return std::make_pair(what.cast<std::string>(), owner.cast<std::string>());
}

LockMode ParseMode(const std::string& text) {
  if (text == "shared") return LockMode::kShared;
  if (text == "exclusive") return LockMode::kExclusive;
  throw InvalidArgument("lock mode must be 'shared' or 'exclusive', got '" + text + "'");
}

py::object ExpiryOf(const Lease& lease) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(lease.expiry.time_since_epoch())
          .count();
  py::module_ dt = py::module_::import("datetime");
  return dt.attr("datetime")
      .attr("fromtimestamp")(static_cast<double>(ms) / 1000.0, dt.attr("timezone").attr("utc"));
}

std::string LeaseRepr(const Lease& l) {
  return "Lease(resource='" + l.resource + "', owner='" + l.owner + "', mode='" +
         LockModeName(l.mode) + "', fencing_token=" + std::to_string(l.fencing_token) + ")";
}

// One scope holding a lock: `with manager.lock(...) as held:`. Used by one
// thread; the guard's renewal thread is internal to LockGuard.
class HeldLock {
 public:
  HeldLock(std::shared_ptr<LockManager> manager, std::string resource, std::string owner,
           LockMode mode, std::chrono::milliseconds ttl, std::chrono::milliseconds wait,
           bool auto_renew)
      : manager_(std::move(manager)),
        resource_(std::move(resource)),
        owner_(std::move(owner)),
        mode_(mode),
        ttl_(ttl),
        wait_(wait),
        auto_renew_(auto_renew) {}

  HeldLock& Enter() {
    if (guard_) throw InvalidArgument("lock on '" + resource_ + "' was already entered");
    py::gil_scoped_release unlocked;
    guard_ = std::make_unique<LockGuard>(*manager_, resource_, owner_, mode_, ttl_, wait_,
                                         auto_renew_, &SignalPending);
    return *this;
  }

  // Releases; with an exception in flight, a failed release must not hide it.
  bool Exit(py::handle exc_type) {
    if (!guard_) return false;
    if (exc_type.is_none()) {
      Release();
    } else {
      try {
        Release();
      } catch (const Error&) {  // the block's own exception is what the caller must see
      }
    }
    return false;
  }

  void Release() {
    Held();
    py::gil_scoped_release unlocked;
    guard_->Release();
  }

  void CheckHeld() const {
    Held();
    guard_->CheckHeld();
  }

  Lease lease() const {
    Held();
    return guard_->lease();
  }

 private:
  void Held() const {
    if (!guard_) {
      throw InvalidArgument("lock on '" + resource_ + "' is used outside its with-block");
    }
  }

  std::shared_ptr<LockManager> manager_;
  std::string resource_;
  std::string owner_;
  LockMode mode_;
  std::chrono::milliseconds ttl_;
  std::chrono::milliseconds wait_;
  bool auto_renew_;
  std::unique_ptr<LockGuard> guard_;
};

std::shared_ptr<LockManager> Open(const std::string& url) {
  if (url.empty())
    throw InvalidArgument(
        "LockManager needs a URL: sqlite:PATH, postgresql://... or redis://host:port");
  py::gil_scoped_release unlocked;
  return std::shared_ptr<LockManager>(OpenLockManager(url));
}

// The resources of acquire_all and lock_spec: a str (exclusive) or a
// (resource, 'shared'|'exclusive') pair each.
std::vector<LockRequest> RequestsArg(py::handle resources, const char* call) {
  if (PyUnicode_Check(resources.ptr()) || PyBytes_Check(resources.ptr()) ||
      !py::isinstance<py::iterable>(resources)) {
    throw InvalidArgument(std::string(call) +
                          ": resources must be a list of resources (str or (resource, "
                          "'shared'|'exclusive') pairs), got " +
                          py::repr(resources).cast<std::string>());
  }
  std::vector<LockRequest> requests;
  for (py::handle r : resources) {
    if (PyUnicode_Check(r.ptr())) {
      requests.push_back({r.cast<std::string>(), LockMode::kExclusive});
    } else {
      auto pair = r.cast<std::pair<std::string, std::string>>();
      requests.push_back({pair.first, ParseMode(pair.second)});
    }
  }
  return requests;
}

std::string LockSpecRepr(const LockSpec& spec) {
  std::string text = "LockSpec([";
  for (size_t i = 0; i < spec.requests.size(); ++i) {
    text += (i ? ", ('" : "('") + spec.requests[i].resource + "', '" +
            LockModeName(spec.requests[i].mode) + "')";
  }
  return text + "], owner='" + spec.owner + "')";
}

}  // namespace

// Signal handlers only run on the main thread; elsewhere this never cancels.
bool SignalPending() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  return false;
}

void BindLock(py::module_& m) {
  py::class_<Lease>(m, "Lease", "A granted lock: valid until `expiry` unless renewed.")
      .def_readonly("resource", &Lease::resource)
      .def_readonly("owner", &Lease::owner)
      .def_property_readonly("mode", [](const Lease& l) { return LockModeName(l.mode); })
      .def_property_readonly("expiry", &ExpiryOf, "Expiry as a timezone-aware UTC datetime.")
      .def_readonly("fencing_token", &Lease::fencing_token)
      .def("__repr__", &LeaseRepr)
      .def(py::pickle(&LeaseState, &LeaseFromState));

  py::class_<LockSpec>(m, "LockSpec",
                       "Locks new_transaction(lock=...) takes: LockManager.lock_spec(...).")
      .def_property_readonly("resources",
                             [](const LockSpec& s) {
                               std::vector<std::pair<std::string, std::string>> out;
                               for (const LockRequest& r : s.requests)
                                 out.emplace_back(r.resource, LockModeName(r.mode));
                               return out;
                             })
      .def_readonly("owner", &LockSpec::owner)
      .def("__repr__", &LockSpecRepr);

  py::class_<HeldLock>(m, "HeldLock",
                       "A lock held for a with-block (LockManager.lock). Releases on exit;\n"
                       "the lease attributes mirror Lease.")
      .def("__enter__", &HeldLock::Enter, py::return_value_policy::reference_internal)
      .def("__exit__",
           [](HeldLock& h, py::handle type, py::handle, py::handle) { return h.Exit(type); })
      .def("release", &HeldLock::Release,
           "Releases now; LockExpired if the lease was lost meanwhile. Idempotent.")
      .def("check_held", &HeldLock::CheckHeld,
           "Raises the error that ended auto-renewal (LockExpired, Unavailable), if any,\n"
           "else LockExpired once the lease outlived its client-side deadline (ttl minus a\n"
           "tenth, from the last successful renewal): stop the work it guards.")
      .def_property_readonly("lease", &HeldLock::lease)
      .def_property_readonly("resource", [](const HeldLock& h) { return h.lease().resource; })
      .def_property_readonly("owner", [](const HeldLock& h) { return h.lease().owner; })
      .def_property_readonly("mode", [](const HeldLock& h) { return LockModeName(h.lease().mode); })
      .def_property_readonly("expiry", [](const HeldLock& h) { return ExpiryOf(h.lease()); })
      .def_property_readonly("fencing_token",
                             [](const HeldLock& h) { return h.lease().fencing_token; })
      .def("__repr__", [](const HeldLock& h) { return "Held" + LeaseRepr(h.lease()); });

  using Manager = std::shared_ptr<LockManager>;
  py::class_<LockManager, Manager>(
      m, "LockManager",
      "Pessimistic offline locks with leases and fencing tokens. LockManager(url) opens\n"
      "the backend a URL names: 'sqlite:PATH' (file created if missing),\n"
      "'postgresql://...' or 'redis://host:port'. Durations (ttl, wait) are seconds,\n"
      "datetime.timedelta or text like '500ms', '30s'. Safe to share between threads.")
      .def(py::init(&Open), py::arg("url"))
      .def_property_readonly("url", &LockManager::url)
      .def(
          "lock",
          [](const Manager& self, const std::string& resource, const std::string& owner,
             bool shared, py::handle ttl, py::handle wait, bool auto_renew) {
            return HeldLock(self, resource, owner, ModeOf(shared), ToDuration(ttl, "ttl"),
                            ToDuration(wait, "wait"), auto_renew);
          },
          py::arg("resource"), py::kw_only(), py::arg("owner"), py::arg("shared") = false,
          py::arg("ttl") = 30, py::arg("wait") = 0, py::arg("auto_renew") = false,
          "Context manager: `with manager.lock('flight/123', owner='app-1', ttl=30) as held:`\n"
          "acquires on entry (waiting up to `wait`), releases on exit. With auto_renew a\n"
          "background thread renews the lease every ttl/3.")
      .def(
          "acquire",
          [](LockManager& self, const std::string& resource, const std::string& owner, bool shared,
             py::handle ttl, py::handle wait) {
            const auto t = ToDuration(ttl, "ttl");
            const auto w = ToDuration(wait, "wait");
            py::gil_scoped_release unlocked;
            return self.Acquire(resource, owner, ModeOf(shared), t, w, &SignalPending);
          },
          py::arg("resource"), py::kw_only(), py::arg("owner"), py::arg("shared") = false,
          py::arg("ttl") = 30, py::arg("wait") = 0,
          "Takes the lock, waiting up to `wait`; LockNotAcquired naming the holders when\n"
          "the wait ends, DeadlockDetected for the victim of a wait cycle. Ctrl-C ends the\n"
          "wait (KeyboardInterrupt) and releases a grant that came with it.")
      .def(
          "try_acquire",
          [](LockManager& self, const std::string& resource, const std::string& owner, bool shared,
             py::handle ttl) {
            const auto t = ToDuration(ttl, "ttl");
            py::gil_scoped_release unlocked;
            return self.TryAcquire(resource, owner, ModeOf(shared), t);
          },
          py::arg("resource"), py::kw_only(), py::arg("owner"), py::arg("shared") = false,
          py::arg("ttl") = 30, "Takes the lock without waiting; None when it is held.")
      .def(
          "renew",
          [](LockManager& self, py::handle what, py::handle owner, py::handle ttl) {
            auto target = Target(what, owner, "renew");
            const auto t = ToDuration(ttl, "ttl");
            py::gil_scoped_release unlocked;
            if (auto* lease = std::get_if<Lease>(&target)) return self.Renew(*lease, t);
            const auto& [resource, name] = std::get<1>(target);
            return self.Renew(resource, name, t);
          },
          py::arg("resource"), py::kw_only(), py::arg("owner") = py::none(), py::arg("ttl") = 30,
          "renew(lease, ttl=30) extends that grant (by its fencing token); LockExpired if it\n"
          "expired, even if the same owner took the lock again since.\n"
          "renew(resource, owner=..., ttl=30) extends whichever lease the owner holds now.")
      .def(
          "release",
          [](LockManager& self, py::handle what, py::handle owner) {
            auto target = Target(what, owner, "release");
            py::gil_scoped_release unlocked;
            if (auto* lease = std::get_if<Lease>(&target)) return self.Release(*lease);
            const auto& [resource, name] = std::get<1>(target);
            self.Release(resource, name);
          },
          py::arg("resource"), py::kw_only(), py::arg("owner") = py::none(),
          "release(lease) releases that grant (by its fencing token); release(resource,\n"
          "owner=...) whichever lease the owner holds. LockExpired if it had expired or was\n"
          "never held.")
      .def(
          "release_all",
          [](LockManager& self, const std::string& owner) {
            py::gil_scoped_release unlocked;
            return self.ReleaseAll(owner);
          },
          py::kw_only(), py::arg("owner"), "Releases every lease of `owner`; returns how many.")
      .def(
          "acquire_all",
          [](LockManager& self, py::handle resources, const std::string& owner, py::handle ttl,
             py::handle wait) {
            std::vector<LockRequest> requests = RequestsArg(resources, "acquire_all");
            const auto t = ToDuration(ttl, "ttl");
            const auto w = ToDuration(wait, "wait");
            py::gil_scoped_release unlocked;
            return self.AcquireAll(std::move(requests), owner, t, w, &SignalPending);
          },
          py::arg("resources"), py::kw_only(), py::arg("owner"), py::arg("ttl") = 30,
          py::arg("wait") = 0,
          "Takes every resource (a str, exclusive, or a (resource, 'shared'|'exclusive')\n"
          "pair) in one canonical order, so callers using it never deadlock each other.\n"
          "On failure releases what it took.")
      .def(
          "lock_spec",
          [](const Manager& self, py::handle resources, const std::string& owner, bool shared,
             py::handle ttl, py::handle wait) {
            LockSpec spec;
            spec.manager = self;
            if (PyUnicode_Check(resources.ptr())) {
              spec.requests.push_back({resources.cast<std::string>(), ModeOf(shared)});
            } else {
              spec.requests = RequestsArg(resources, "lock_spec");
            }
            if (spec.requests.empty()) throw InvalidArgument("lock_spec: no resource given");
            spec.owner = owner;
            spec.ttl = ToDuration(ttl, "ttl");
            spec.wait = ToDuration(wait, "wait");
            return spec;
          },
          py::arg("resources"), py::kw_only(), py::arg("owner"), py::arg("shared") = false,
          py::arg("ttl") = 30, py::arg("wait") = 0,
          "The locks for an implicit lock: `table.new_transaction(lock=manager.lock_spec(\n"
          "'flights/LO123', owner='agent-1', ttl=30, wait=5))` takes them (all at once, in\n"
          "canonical order, waiting up to `wait`) before the transaction reads, fences its\n"
          "commit with the tokens of the exclusive ones and releases them when it ends.\n"
          "`resources`: one resource (mode by `shared`) or a list as for acquire_all.")
      .def(
          "list",
          [](LockManager& self) {
            py::gil_scoped_release unlocked;
            return self.List();
          },
          "Every live lease, sorted by resource then owner.")
      .def(
          "inspect",
          [](LockManager& self, const std::string& resource) {
            py::gil_scoped_release unlocked;
            return self.Inspect(resource);
          },
          py::arg("resource"), "The live leases on `resource`, its ancestors and its descendants.")
      .def("__repr__", [](const LockManager& self) { return "LockManager('" + self.url() + "')"; })
      // Pickles as the URL it was opened with (password included, as a
      // spawned worker needs it); repr and messages show it redacted.
      .def(py::pickle([](const LockManager& self) { return py::make_tuple(self.connection_url()); },
                      [](const py::tuple& t) {
                        if (t.size() != 1)
                          throw InvalidArgument("a pickled LockManager has 1 field");
                        return Open(t[0].cast<std::string>());
                      }));
}

}  // namespace datashard::python
