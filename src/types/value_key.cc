#include "types/value_key.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace datashard {

void AppendValueKey(const Value& v, std::string* key) {
  key->push_back(static_cast<char>('0' + v.storage().index()));
  std::visit(
      [key](auto x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          key->append(std::to_string(x.size()) + ":");
          key->append(x);
        } else if constexpr (!std::is_same_v<T, std::monostate>) {
          if constexpr (std::is_floating_point_v<T>) {
            if (std::isnan(x)) x = std::numeric_limits<T>::quiet_NaN();
          }
          key->append(reinterpret_cast<const char*>(&x), sizeof(x));
        }
      },
      v.storage());
}

std::string TupleKey(const std::vector<Value>& tuple) {
  std::string key;
  for (const Value& v : tuple) AppendValueKey(v, &key);
  return key;
}

}  // namespace datashard
