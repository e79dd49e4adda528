// Exception classes are made with type() so that a kind can also derive from
// the builtin a Python caller expects (InvalidArgument is a ValueError,
// NotFound a LookupError...), which pybind11::register_exception cannot do.
#include "py_errors.h"

#include <array>
#include <optional>
#include <string>

#include "datashard/errors.h"

namespace py = pybind11;

namespace datashard::python {
namespace {

constexpr size_t kKinds = static_cast<size_t>(ErrorCode::kIOError) + 1;
// Owned references, alive for the life of the interpreter.
std::array<PyObject*, kKinds> exception_classes{};

py::object MakeClass(py::module_& m, const char* name, py::tuple bases, const char* doc) {
  py::dict ns;
  ns["__module__"] = "datashard";
  ns["__doc__"] = doc;
  py::object type = py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(&PyType_Type));
  py::object cls = type(name, bases, ns);
  m.attr(name) = cls;
  return cls;
}

void Keep(ErrorCode code, const py::object& cls) {
  exception_classes[static_cast<size_t>(code)] = cls.inc_ref().ptr();
}

py::object OptionalId(const std::optional<int64_t>& id) {
  return id ? py::object(py::int_(*id)) : py::object(py::none());
}

}  // namespace

void RegisterErrors(py::module_& m) {
  auto builtin = [](PyObject* e) { return py::reinterpret_borrow<py::object>(e); };
  py::object base = MakeClass(m, "DatashardError", py::make_tuple(builtin(PyExc_Exception)),
                              "Base of every datashard exception.");
  auto kind = [&](ErrorCode code, const char* name, py::tuple bases, const char* doc) {
    py::object cls = MakeClass(m, name, bases, doc);
    Keep(code, cls);
    return cls;
  };
  py::object invalid = kind(ErrorCode::kInvalidArgument, "InvalidArgument",
                            py::make_tuple(base, builtin(PyExc_ValueError)),
                            "Bad input from the caller; nothing was written. Fix the input first.");
  kind(ErrorCode::kSchemaMismatch, "SchemaMismatch",
       py::make_tuple(invalid, builtin(PyExc_TypeError)),
       "Records, values or files do not match the schema (a wrong type, a missing\n"
       "required field, an unknown column); nothing was written.");
  kind(ErrorCode::kNotFound, "NotFound", py::make_tuple(base, builtin(PyExc_LookupError)),
       "The table, snapshot or lock does not exist.");
  kind(ErrorCode::kAlreadyExists, "AlreadyExists", py::make_tuple(base),
       "Something with that name exists and differs from what was asked for\n"
       "(e.g. a table with another schema).");
  kind(ErrorCode::kNotSupported, "NotSupported",
       py::make_tuple(base, builtin(PyExc_NotImplementedError)),
       "A feature of the format or request that datashard does not support.");
  py::object conflict =
      kind(ErrorCode::kCommitConflict, "ConcurrentModificationException", py::make_tuple(base),
           "An optimistic commit lost after the retry budget was spent, or the expected\n"
           "snapshot changed. Retry the whole transaction. Attributes: base_snapshot_id,\n"
           "current_snapshot_id, conflicting_snapshot_id (None when unknown), retries.");
  conflict.attr("base_snapshot_id") = py::none();
  conflict.attr("current_snapshot_id") = py::none();
  conflict.attr("conflicting_snapshot_id") = py::none();
  conflict.attr("retries") = 0;
  m.attr("CommitConflict") = conflict;
  kind(ErrorCode::kCommitStateUnknown, "CommitStateUnknown", py::make_tuple(base),
       "The commit may or may not have happened: refresh the table and check\n"
       "(never retry blindly).");
  kind(ErrorCode::kDeadlockDetected, "DeadlockDetected", py::make_tuple(base),
       "This waiter was chosen as the victim of a lock wait cycle; retry the transaction.");
  kind(ErrorCode::kLockNotAcquired, "LockNotAcquired", py::make_tuple(base),
       "The lock is held by someone else; retry later.");
  kind(ErrorCode::kLockExpired, "LockExpired", py::make_tuple(base),
       "The lease expired: the caller no longer holds the lock.");
  kind(ErrorCode::kStaleFencingToken, "StaleFencingToken", py::make_tuple(base),
       "A write carried a fencing token older than the newest one issued.");
  kind(ErrorCode::kUnavailable, "Unavailable", py::make_tuple(base, builtin(PyExc_ConnectionError)),
       "A server (PostgreSQL, Redis) cannot be reached; retry later.");
  kind(ErrorCode::kCorruption, "Corruption", py::make_tuple(base),
       "Stored bytes are not what they must be; stop and inspect.");
  kind(ErrorCode::kIOError, "DatashardIOError", py::make_tuple(base, builtin(PyExc_OSError)),
       "The operating system refused an operation (EIO, ENOSPC, EACCES...).");

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const CommitConflict& e) {
      PyObject* cls = exception_classes[static_cast<size_t>(ErrorCode::kCommitConflict)];
      py::object exc = py::reinterpret_borrow<py::object>(cls)(e.what());
      exc.attr("base_snapshot_id") = OptionalId(e.base_snapshot_id());
      exc.attr("current_snapshot_id") = OptionalId(e.current_snapshot_id());
      exc.attr("conflicting_snapshot_id") = OptionalId(e.conflicting_snapshot_id());
      exc.attr("retries") = e.retries();
      PyErr_SetObject(cls, exc.ptr());
    } catch (const Error& e) {
      PyErr_SetString(exception_classes[static_cast<size_t>(e.code())], e.what());
    }
  });
}

}  // namespace datashard::python
