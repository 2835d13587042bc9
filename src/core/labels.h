// Labels: a Kubernetes label map. Ordered, so everything printed from it is deterministic.
#pragma once

#include <map>
#include <string>

namespace netpolgen::core {

using Labels = std::map<std::string, std::string, std::less<>>;

}  // namespace netpolgen::core
