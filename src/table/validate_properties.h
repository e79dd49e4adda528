// Checking the table properties datashard interprets, for create and alter.
#pragma once

#include <map>
#include <string>

namespace datashard {

/// InvalidArgument naming the property when a value datashard reads is not
/// a valid number, bool, codec or metrics mode, before anything is written.
void ValidateProperties(const std::map<std::string, std::string>& properties);

}  // namespace datashard
