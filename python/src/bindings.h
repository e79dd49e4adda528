// The parts of the _datashard extension, each adding its classes and
// functions to the module (called once from module.cc).
#pragma once

#include <pybind11/pybind11.h>

namespace datashard::python {

void BindSchema(pybind11::module_& m);
void BindLock(pybind11::module_& m);
void BindTable(pybind11::module_& m);

}  // namespace datashard::python
