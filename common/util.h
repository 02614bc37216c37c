// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Small helpers shared by the elements and the signalling code.
#pragma once

#include <glib.h>

#include <sstream>
#include <string>
#include <vector>

namespace webrtclive {

// std::visit over several lambdas.
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// GDestroyNotify for a `new T` handed to a C API.
template <typename T>
void destroy_heap(gpointer p) {
  delete static_cast<T *>(p);
}

// "a, b ,c" -> {"a", "b", "c"}: comma-separated property values.
inline std::vector<std::string> split_list(const std::string &s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace webrtclive
