// Kubernetes names and label text, checked as the API server checks them
// (k8s.io/apimachinery/pkg/util/validation), with the API server's wording.
//
// Every object a modification names reaches kubectl argv, the stored history and YAML text: a name
// the API server would refuse ("a b", "x\n---\n…", "--all") must be refused where it enters, with
// the message the user would get from the API server, and again before kubectl runs.
//
//   if (auto problem = dns1123SubdomainProblem(name)) {
//       fail(invalidValue("metadata.name", name, *problem));
//       // metadata.name: Invalid value: "a b": a lowercase RFC 1123 subdomain must consist of …
//   }
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace netpolgen::core {

inline constexpr size_t kDns1123SubdomainMaxLength = 253;
inline constexpr size_t kDns1123LabelMaxLength = 63;
inline constexpr size_t kLabelValueMaxLength = 63;

// Each returns nothing when `value` is valid, else the API server's messages joined by "; ".
// Names of NetworkPolicies (and most objects): DNS-1123 subdomains, at most 253 bytes.
std::optional<std::string> dns1123SubdomainProblem(std::string_view value);
// Namespaces: DNS-1123 labels, at most 63 bytes.
std::optional<std::string> dns1123LabelProblem(std::string_view value);
// Label keys: qualified names, "[prefix/]name" (the prefix a subdomain, the name 63 at most).
std::optional<std::string> labelKeyProblem(std::string_view value);
// Label values: empty, or 63 at most of [-A-Za-z0-9_.] starting and ending alphanumeric.
std::optional<std::string> labelValueProblem(std::string_view value);

// `value` for a message: at most 80 bytes (cut on a UTF-8 boundary, then "..."), `"` and `\`
// escaped, control bytes as \n, \t or \xNN, so that no value can start a line of its own.
std::string shortText(std::string_view value);
// shortText in double quotes.
std::string quotedText(std::string_view value);

// `PATH: Invalid value: "VALUE": PROBLEM`, the API server's field error.
std::string invalidValue(std::string_view path, std::string_view value, std::string_view problem);

}  // namespace netpolgen::core
