#include "format/json/json_excerpt.h"

#include <vector>

namespace datashard {

namespace {

template <typename json>
std::string Excerpt(const json& j, size_t max_chars) {
  auto scalar = [](const json& v) {
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  // An open array or object and its next member.
  struct Frame {
    const json* node;
    typename json::const_iterator next;
  };
  std::vector<Frame> open;
  std::string out;
  auto begin = [&](const json& v) {
    if (v.is_structured()) {
      out += v.is_object() ? '{' : '[';
      open.push_back({&v, v.cbegin()});
    } else {
      out += scalar(v);
    }
  };
  begin(j);
  while (!open.empty() && out.size() <= max_chars) {
    Frame& f = open.back();
    if (f.next == f.node->cend()) {
      out += f.node->is_object() ? '}' : ']';
      open.pop_back();
      continue;
    }
    if (f.next != f.node->cbegin()) out += ',';
    const typename json::const_iterator member = f.next++;
    if (f.node->is_object()) out += scalar(json(member.key())) + ':';
    begin(*member);  // may grow `open`: `f` is not used after this
  }
  if (out.size() > max_chars) out = out.substr(0, max_chars > 3 ? max_chars - 3 : 0) + "...";
  return out;
}

}  // namespace

std::string JsonExcerpt(const nlohmann::json& j, size_t max_chars) { return Excerpt(j, max_chars); }

std::string JsonExcerpt(const nlohmann::ordered_json& j, size_t max_chars) {
  return Excerpt(j, max_chars);
}

}  // namespace datashard
