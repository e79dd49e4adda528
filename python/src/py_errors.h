// The Python side of include/datashard/errors.h: one exception class per
// error kind under the base DatashardError, and the translator that raises
// them for datashard exceptions crossing into Python.
#pragma once

#include <pybind11/pybind11.h>

namespace datashard::python {

/// Creates the exception classes in `m` and registers the translator.
/// Call once, at module initialisation.
void RegisterErrors(pybind11::module_& m);

}  // namespace datashard::python
