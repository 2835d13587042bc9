// --flow-format auto|canonical|hubble and --strict, shared by the commands that read flow files.
#pragma once

#include "io/flow_reader.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace netpolgen::cli {

CLI::Option* addFlowFormatOption(CLI::App& cmd, io::FlowFormat& format);

// --strict: a flow naming a workload, pod or labels the snapshot does not have is an error
// (file:line) instead of counted and left out.
CLI::Option* addStrictOption(CLI::App& cmd, bool& strict);

}  // namespace netpolgen::cli
