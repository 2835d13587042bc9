// --flow-format auto|canonical|hubble, shared by the commands that read flow files.
#pragma once

#include "io/flow_reader.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace netpolgen::cli {

CLI::Option* addFlowFormatOption(CLI::App& cmd, io::FlowFormat& format);

}  // namespace netpolgen::cli
