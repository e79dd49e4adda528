// The parts of the _datashard extension, each adding its classes and
// functions to the module (called once from module.cc).
#pragma once

#include <pybind11/pybind11.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "datashard/lock_manager.h"

namespace datashard::python {

/// The locks of an implicit lock, `table.new_transaction(lock=spec)`: made
/// by LockManager.lock_spec, taken (AcquireAll) before the transaction
/// reads and released when it ends.
struct LockSpec {
  std::shared_ptr<LockManager> manager;
  std::vector<LockRequest> requests;
  std::string owner;
  std::chrono::milliseconds ttl{0};
  std::chrono::milliseconds wait{0};
};

/// The cancel hook of a lock wait: runs pending signal handlers (Ctrl-C
/// raises KeyboardInterrupt through the wait). Call without the GIL.
bool SignalPending();

void BindSchema(pybind11::module_& m);
void BindLock(pybind11::module_& m);
void BindTable(pybind11::module_& m);

}  // namespace datashard::python
