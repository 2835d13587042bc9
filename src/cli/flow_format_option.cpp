#include "cli/flow_format_option.h"

#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "cli/enum_option.h"

namespace netpolgen::cli {

CLI::Option* addFlowFormatOption(CLI::App& cmd, io::FlowFormat& format) {
    static const std::map<std::string, io::FlowFormat> kFlowFormats{
        {"auto", io::FlowFormat::kAuto},
        {"canonical", io::FlowFormat::kCanonical},
        {"hubble", io::FlowFormat::kHubble},
    };
    return cmd.add_option("--flow-format", format, "auto, canonical or hubble")
        ->transform(enumNames(kFlowFormats))
        ->default_str("auto");
}

CLI::Option* addStrictOption(CLI::App& cmd, bool& strict) {
    return cmd.add_flag("--strict",
                        strict,
                        "Fail on flows whose workload is not in the cluster (default: count and "
                        "leave them out)");
}

}  // namespace netpolgen::cli
