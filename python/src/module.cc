// The _datashard extension: pybind11 bindings of the datashard C++ API. The
// package python/datashard/ re-exports it (DESIGN.md §2: no table logic here,
// only conversion of arguments, results and errors).
#include <pybind11/pybind11.h>

#include "bindings.h"
#include "py_errors.h"

namespace py = pybind11;

PYBIND11_MODULE(_datashard, m) {
  m.doc() = "Bindings of the datashard C++ library; use the datashard package.";
  m.attr("CLI_PATH") = DATASHARD_CLI_PATH;
  datashard::python::RegisterErrors(m);
  datashard::python::BindSchema(m);
  datashard::python::BindLock(m);
  datashard::python::BindTable(m);
}
