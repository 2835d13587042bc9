// Deterministic YAML and JSON text from a nlohmann::json value.
//
// nlohmann::json keeps object keys sorted, which is also the order kubectl prints
// (apiVersion, kind, metadata, spec; alphabetical at every level). The YAML writer uses block
// style, two-space indentation and kubectl's "- " list items at the parent's indentation, and
// quotes a string only where a plain scalar would be read back as something else (true, "80",
// null, "y", leading special characters, …) or is not valid plain YAML.
//
//   writeYaml(policy_json)   // "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n..."
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace netpolgen::io {

std::string writeYaml(const nlohmann::json& value);

// True when `text` must be quoted to stay a string in YAML 1.1 and 1.2.
bool yamlNeedsQuotes(std::string_view text);

// Appends `text` as writeYaml writes a string: plain, or double-quoted where it must be.
void appendYamlString(std::string& out, std::string_view text);

// The longest key writeYaml writes as `key: value`; longer ones take the explicit `? key` form.
inline constexpr size_t kYamlMaxSimpleKeyBytes = 1000;

}  // namespace netpolgen::io
