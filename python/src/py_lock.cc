// The lock manager (DESIGN.md §7) for Python: LockManager(url) with
// acquire/try_acquire/renew/release/release_all/acquire_all/list/inspect,
// and lock(...) as a context manager (the command lock: a LockGuard that
// releases on every exit path, optionally renewing its lease meanwhile).
// Waiting and backend I/O run with the GIL released.
#include <pybind11/stl.h>

#include <memory>
#include <mutex>

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
    guard_ =
        std::make_unique<LockGuard>(*manager_, resource_, owner_, mode_, ttl_, wait_, auto_renew_);
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
  py::gil_scoped_release unlocked;
  return std::shared_ptr<LockManager>(OpenLockManager(url));
}

}  // namespace

void BindLock(py::module_& m) {
  py::class_<Lease>(m, "Lease", "A granted lock: valid until `expiry` unless renewed.")
      .def_readonly("resource", &Lease::resource)
      .def_readonly("owner", &Lease::owner)
      .def_property_readonly("mode", [](const Lease& l) { return LockModeName(l.mode); })
      .def_property_readonly("expiry", &ExpiryOf, "Expiry as a timezone-aware UTC datetime.")
      .def_readonly("fencing_token", &Lease::fencing_token)
      .def("__repr__", &LeaseRepr);

  py::class_<HeldLock>(m, "HeldLock",
                       "A lock held for a with-block (LockManager.lock). Releases on exit;\n"
                       "the lease attributes mirror Lease.")
      .def("__enter__", &HeldLock::Enter, py::return_value_policy::reference_internal)
      .def("__exit__",
           [](HeldLock& h, py::handle type, py::handle, py::handle) { return h.Exit(type); })
      .def("release", &HeldLock::Release,
           "Releases now; LockExpired if the lease was lost meanwhile. Idempotent.")
      .def("check_held", &HeldLock::CheckHeld,
           "Raises the error that ended auto-renewal (LockExpired, Unavailable), if any.")
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
            return self.Acquire(resource, owner, ModeOf(shared), t, w);
          },
          py::arg("resource"), py::kw_only(), py::arg("owner"), py::arg("shared") = false,
          py::arg("ttl") = 30, py::arg("wait") = 0,
          "Takes the lock, waiting up to `wait`; LockNotAcquired naming the holders when\n"
          "the wait ends, DeadlockDetected for the victim of a wait cycle.")
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
          [](LockManager& self, const std::string& resource, const std::string& owner,
             py::handle ttl) {
            const auto t = ToDuration(ttl, "ttl");
            py::gil_scoped_release unlocked;
            return self.Renew(resource, owner, t);
          },
          py::arg("resource"), py::kw_only(), py::arg("owner"), py::arg("ttl") = 30,
          "Extends a live lease; LockExpired if the owner holds none.")
      .def(
          "release",
          [](LockManager& self, const std::string& resource, const std::string& owner) {
            py::gil_scoped_release unlocked;
            self.Release(resource, owner);
          },
          py::arg("resource"), py::kw_only(), py::arg("owner"),
          "Releases the owner's lease; LockExpired if it had expired or was never held.")
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
            std::vector<LockRequest> requests;
            for (py::handle r : resources) {
              if (PyUnicode_Check(r.ptr())) {
                requests.push_back({r.cast<std::string>(), LockMode::kExclusive});
              } else {
                auto pair = r.cast<std::pair<std::string, std::string>>();
                requests.push_back({pair.first, ParseMode(pair.second)});
              }
            }
            const auto t = ToDuration(ttl, "ttl");
            const auto w = ToDuration(wait, "wait");
            py::gil_scoped_release unlocked;
            return self.AcquireAll(std::move(requests), owner, t, w);
          },
          py::arg("resources"), py::kw_only(), py::arg("owner"), py::arg("ttl") = 30,
          py::arg("wait") = 0,
          "Takes every resource (a str, exclusive, or a (resource, 'shared'|'exclusive')\n"
          "pair) in one canonical order, so callers using it never deadlock each other.\n"
          "On failure releases what it took.")
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
      .def("__repr__", [](const LockManager& self) { return "LockManager('" + self.url() + "')"; });
}

}  // namespace datashard::python
