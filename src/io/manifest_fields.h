// Reading the fields of one manifest object as the API server would: value types as
// encoding/json sees the JSON that sigs.k8s.io/yaml makes of a YAML node, the per-object context
// that names the object in messages and keeps its first error, and typed field readers (strings,
// integers, maps, lists, ports, protocols). Internal to io (manifest_decoder.cpp and the
// manifest_*.cpp decoders).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/kubernetes_names.h"
#include "core/labels.h"
#include "core/protocol.h"
#include "io/source_tree.h"

namespace netpolgen::io::detail {

// The API server's words for a bad port number and a bad CIDR.
inline constexpr std::string_view kPortRange = "must be between 1 and 65535, inclusive";

inline constexpr std::string_view kBadCidr =
    "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

// field.NotSupported lists values in the order the validator passes them: sorted for container and
// Service ports (sets.List), as written in ValidateNetworkPolicyPort for NetworkPolicy ports.
inline constexpr std::string_view kSortedProtocols = "\"SCTP\", \"TCP\", \"UDP\"";

inline constexpr std::string_view kPolicyProtocols = "\"TCP\", \"UDP\", \"SCTP\"";

// Scalar typing, as encoding/json sees the JSON that sigs.k8s.io/yaml makes of a YAML node.
enum class ValueType : uint8_t { kNull, kBool, kInteger, kNumber, kString, kMap, kList };

// The type encoding/json gives the node, and its name in "Invalid type" messages.
ValueType typeOf(const SourceNode& n);

std::string_view typeName(ValueType t);

// A node's value as the API server prints it in "Invalid value: …": strings quoted.
std::string shown(const SourceNode& n);

// Per-object context: names the object in messages and keeps the first error.
struct ObjectContext {
    std::string_view file;
    std::string kind;  // as written, or the list's element kind
    std::string ns;    // empty for cluster-scoped objects
    std::string name;
    uint32_t line = 0;  // of the object's start
    std::optional<std::string> error;
    bool lenient_ports = false;                    // ManifestOptions::lenient_ports
    std::vector<std::string>* warnings = nullptr;  // where lenient_ports reports what it drops

    std::string describe() const {
        std::string out = kind.empty() ? "object" : core::shortText(kind);
        out += ' ';
        if (!ns.empty()) {
            out += core::shortText(ns) + "/";
        }
        out += name.empty() ? "<no name>" : core::shortText(name);
        return out;
    }

    // Records "FILE:LINE: KIND NS/NAME: PATH: MESSAGE" (the first one only). Returns false so
    // callers can `return c.fail(…)`.
    bool fail(uint32_t at_line, std::string_view path, std::string_view message) {
        if (!error) {
            std::string text =
                std::string(file) + ":" + std::to_string(at_line) + ": " + describe();
            text += ": ";
            if (!path.empty()) {
                text += std::string(path) + ": ";
            }
            text += message;
            error = std::move(text);
        }
        return false;
    }
    bool fail(const SourceNode& at, std::string_view path, std::string_view message) {
        return fail(at.line != 0 ? at.line : line, path, message);
    }
    // The recorded error (every failing decode step records one; this never invents another).
    std::string message() const {
        return error ? *error : std::string(file) + ":" + std::to_string(line) + ": " + describe();
    }
};

// Field paths in messages: "spec.ports", "spec.ports[2]".
std::string child(std::string_view path, std::string_view key);

std::string indexed(std::string_view path, size_t i);

bool isNullNode(const SourceNode& n);

// The value under `key`, or nullptr when the key is absent or its value is null.
const SourceNode* present(const SourceNode& map, std::string_view key);

// Records "Invalid type: expected EXPECTED, got …" for `n`; returns false.
bool typeError(ObjectContext& c,
               const SourceNode& n,
               std::string_view path,
               std::string_view expected);

// `out` is the mapping under `key`, or nullptr when absent or null; anything else is an error.
bool mapField(ObjectContext& c,
              const SourceNode& parent,
              std::string_view key,
              std::string_view path,
              const SourceNode*& out);

// `out` is the sequence under `key`, or nullptr when absent or null; anything else is an error.
bool listField(ObjectContext& c,
               const SourceNode& parent,
               std::string_view key,
               std::string_view path,
               const SourceNode*& out);

// Scalars of one type; anything else is a typeError.
bool stringValue(ObjectContext& c, const SourceNode& n, std::string_view path, std::string& out);

// Leaves `out` unchanged when the key is absent or null.
bool stringField(ObjectContext& c,
                 const SourceNode& parent,
                 std::string_view key,
                 std::string_view path,
                 std::string& out);

bool intValue(ObjectContext& c, const SourceNode& n, std::string_view path, int64_t& out);

bool boolValue(ObjectContext& c, const SourceNode& n, std::string_view path, bool& out);

// A map of strings (labels, annotations, a plain selector). Keys are strings by construction.
bool stringMap(ObjectContext& c, const SourceNode& n, std::string_view path, core::Labels& out);

// A list of strings.
bool stringList(ObjectContext& c,
                const SourceNode& n,
                std::string_view path,
                std::vector<std::string>& out);

// IntOrString: a plain integer is a number, a string is a name.
struct IntOrString {
    bool numeric = false;
    int64_t number = 0;
    std::string name;
};

// An IntOrString value (a port or targetPort).
bool intOrStringValue(ObjectContext& c,
                      const SourceNode& n,
                      std::string_view path,
                      IntOrString& out);

// 1-65535.
bool validPort(int64_t n);

// IANA_SVC_NAME (RFC 6335), the API server's IsValidPortName: the first problem, or nothing.
std::optional<std::string> portNameProblem(std::string_view name);

// protocol: TCP (default), UDP or SCTP, spelled exactly so (the API server is case-sensitive).
bool protocolField(ObjectContext& c,
                   const SourceNode& parent,
                   std::string_view path,
                   core::Protocol& out,
                   bool* set,
                   std::string_view supported = kSortedProtocols);

}  // namespace netpolgen::io::detail
