// Options whose value is one of a few names mapped to an enum (--flow-format, --delete-existing).
//
//   cmd.add_option("--flow-format", format, "…")->transform(enumNames(kFlowFormats));
//
// CLI11's CheckedTransformer prints the mapped values in --help and in its error, and the values
// of our uint8_t enums are control bytes; it also accepts those values as input. This validator
// accepts only the names (any case), shows them as {a,b,c}, and hands CLI11 the enum's number.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <type_traits>

#include "core/ascii.h"

namespace netpolgen::cli {

template <typename Enum>
CLI::Validator enumNames(std::map<std::string, Enum> names) {
    std::string choices;
    for (const auto& [name, value] : names) {
        choices += (choices.empty() ? "" : ",") + name;
    }
    auto check = [names, choices](std::string& input) -> std::string {
        const auto found = names.find(core::asciiLower(input));
        if (found == names.end()) {
            return "\"" + input + "\" is not one of {" + choices + "}";
        }
        input = std::to_string(static_cast<std::underlying_type_t<Enum>>(found->second) + 0);
        return {};
    };
    return CLI::Validator(check, "{" + choices + "}");
}

}  // namespace netpolgen::cli
