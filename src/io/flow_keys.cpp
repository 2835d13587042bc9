#include "io/flow_keys.h"

#include <array>
#include <string_view>

namespace netpolgen::io::detail {

using simdjson::SUCCESS;

[[gnu::noinline]] simdjson::error_code classifyEscapedKey(simdjson::ondemand::field& field,
                                                          FlowKey& key) {
    std::string_view text;
    if (simdjson::error_code e = field.unescaped_key().get(text); e != SUCCESS) {
        return e;
    }
    key = FlowKey::kOther;
    if (text.size() <= kMaxKeyLength) {
        std::array<char, kMaxKeyLength + 2> copy{};  // the key, a quote, zeros
        std::memcpy(copy.data(), text.data(), text.size());
        copy[text.size()] = '"';
        key = classifyKey(copy.data());
    }
    return SUCCESS;
}

}  // namespace netpolgen::io::detail
