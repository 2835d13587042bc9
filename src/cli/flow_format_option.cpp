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

}  // namespace netpolgen::cli
