// Lexical operations on absolute POSIX paths: no file is touched and no
// symbolic link is resolved (FileIO does that). Thread-safe.
#pragma once

#include <optional>
#include <string>

namespace datashard {

/// `path` (absolute) with "." and ".." components resolved, repeated and
/// trailing slashes dropped: "/a/./b/../c/" is "/a/c"; ".." of "/" is "/".
std::string LexicallyNormal(const std::string& path);

/// What lies below `folder` in `path`, both normal: "" for the folder
/// itself, "/x/y" for a path inside it, nullopt for a path outside it.
std::optional<std::string> PathBelow(const std::string& path, const std::string& folder);

/// The folder holding `path`: "/a/b" for "/a/b/c", "/" for "/c", and "."
/// for a bare name.
std::string ParentPath(const std::string& path);

}  // namespace datashard
