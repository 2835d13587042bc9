// SourceNode: a parsed YAML or JSON document as a small owned tree that remembers where each node
// came from, so decoders can name the file and line of every problem.
//
// libyaml's event API reads YAML. Text that starts with '{' or '[' is first read by a small JSON
// parser (libyaml rejects some valid JSON: escaped surrogate pairs, keys over 1024 characters) and
// falls back to libyaml when it is not JSON; both build the same tree. Neither recurses.
// parseDocuments() rejects what Kubernetes rejects or what would let hostile input blow up:
// aliases, duplicate keys, nesting deeper than ParseLimits::max_depth, more bytes than max_bytes.
//
//   auto docs = parseDocuments(text, {});
//   if (!docs) { report(docs.error()); }            // "line 3, column 5: duplicate key \"a\""
//   const SourceNode* kind = (*docs)[0].find("kind");
//
// Scalars keep their text; typing follows sigs.k8s.io/yaml (YAML → JSON): quoted scalars are
// always strings, plain ones may be null, booleans or numbers. See asBool / asInteger / isNull.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace netpolgen::io {

struct SourceNode {
    enum class Kind : uint8_t { kScalar, kSequence, kMapping };

    Kind kind = Kind::kScalar;
    std::string key;      // set on the children of a mapping
    std::string value;    // scalar text (after unescaping)
    bool quoted = false;  // the scalar was single- or double-quoted, or a block literal
    uint32_t line = 0;    // 1-based position of the node's start
    uint32_t column = 0;
    std::vector<SourceNode> children;  // sequence items, or mapping entries in document order

    bool isScalar() const { return kind == Kind::kScalar; }
    bool isMapping() const { return kind == Kind::kMapping; }
    bool isSequence() const { return kind == Kind::kSequence; }
    // The entry with this key in a mapping, or nullptr.
    const SourceNode* find(std::string_view k) const;
};

struct ParseLimits {
    size_t max_bytes = 256u << 20;  // bytes of one input
    uint32_t max_depth = 64;        // nesting of mappings and sequences
    size_t max_documents = 1u << 20;
};

// Parses a stream of one or more documents. Empty documents (a lone `---`) are left out.
// Errors read "line L, column C: what" (1-based).
core::Result<std::vector<SourceNode>> parseDocuments(std::string_view text,
                                                     const ParseLimits& limits);

// Plain null, ~, empty plain scalar: true. Quoted scalars are never null.
bool isNull(const SourceNode& node);
// Plain true/false (also YAML 1.1 yes/no/on/off, any case as sigs.k8s.io/yaml accepts).
std::optional<bool> asBool(const SourceNode& node);
// Plain integer scalar (decimal, optional sign; also 0x/0o forms YAML 1.1 allows). Nothing for
// quoted scalars, floats with a fraction, or out-of-range values.
std::optional<int64_t> asInteger(const SourceNode& node);

}  // namespace netpolgen::io
