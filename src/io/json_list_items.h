// A Kubernetes List as JSON (`{"kind":"PodList",…,"items":[{…},{…}]}`) cut into its items by one
// scan of its bytes, without building a tree of the whole text. A list of 50,000 pods is some
// 150 MB: parsed whole, its tree (or a JSON parser's index of it) takes several times that, while
// each item alone is a few kilobytes. Callers parse the head and each item on their own.
//
// The scan only finds where things are (strings, escapes and nesting are followed, the separators
// between items checked); whether each piece is valid JSON is for the parser of that piece. When
// the head (the text with `[]` for the items) and every item are valid JSON, so was the whole.
//
//   auto list = splitJsonList(text);
//   if (!list) { parse the text whole }           // not an object with an "items" array of objects
//   parse(list->head());  for (auto item : list->items) parse(item);
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netpolgen::io {

struct JsonListItems {
    std::string_view text;                // the whole input
    size_t items_begin = 0;               // offset of the items array's '['
    size_t items_end = 0;                 // one past its ']'
    std::vector<std::string_view> items;  // each element's text, in order (views into `text`)

    // The text with the items array replaced by `[]`: the list's kind, apiVersion and metadata.
    std::string head() const;
};

// Nothing when `text` is not one JSON object with exactly one top-level "items" key whose value is
// an array of objects (e.g. "items": null, another document after it, unbalanced brackets).
std::optional<JsonListItems> splitJsonList(std::string_view text);

}  // namespace netpolgen::io
