// --help of every command is text a terminal can show, and enum options take only their names.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "../support/cli_run.h"

namespace netpolgen {
namespace {

using testing_support::runNetpolgen;

// The subcommand names listed under "Subcommands:" of the top-level help.
std::vector<std::string> subcommands() {
    std::istringstream help(runNetpolgen({"--help"}).out);
    std::vector<std::string> names;
    bool listing = false;
    for (std::string line; std::getline(help, line);) {
        if (line.rfind("Subcommands:", 0) == 0) {
            listing = true;
        } else if (listing && line.size() > 2 && line[0] == ' ') {
            names.push_back(line.substr(2, line.find(' ', 2) - 2));
        }
    }
    return names;
}

bool printable(const std::string& text) {
    for (const unsigned char c : text) {
        if (c < 0x20 && c != '\n') {
            return false;
        }
        if (c == 0x7f) {
            return false;
        }
    }
    return true;
}

TEST(CliHelp, EveryCommandsHelpHasNoControlBytes) {
    const auto names = subcommands();
    ASSERT_GE(names.size(), 10u);
    EXPECT_TRUE(printable(runNetpolgen({"--help"}).out));
    for (const std::string& name : names) {
        const auto run = runNetpolgen({name, "--help"});
        EXPECT_EQ(run.status, 0) << name;
        EXPECT_TRUE(printable(run.out)) << name << " --help:\n" << run.out;
    }
}

TEST(CliHelp, EnumOptionsShowTheirNames) {
    const auto run = runNetpolgen({"generate", "--help"});
    EXPECT_NE(run.out.find("{auto,canonical,hubble}"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("{all,generated,none}"), std::string::npos) << run.out;
}

TEST(CliHelp, EnumOptionsRefuseOtherValuesWithTheChoices) {
    const auto bad = runNetpolgen({"generate", "--flow-format", "jsonl", "--no-such"});
    EXPECT_EQ(bad.status, 2);
    const auto run = runNetpolgen({"generate", "--cluster", "x.yaml", "--flow-format", "jsonl"});
    EXPECT_EQ(run.status, 2);
    EXPECT_NE(run.err.find("\"jsonl\" is not one of {auto,canonical,hubble}"), std::string::npos)
        << run.err;
    EXPECT_TRUE(printable(run.err)) << run.err;
    // The enum's numbers are not names.
    const auto number = runNetpolgen({"generate", "--cluster", "x.yaml", "--delete-existing", "1"});
    EXPECT_EQ(number.status, 2);
    EXPECT_NE(number.err.find("is not one of {all,generated,none}"), std::string::npos)
        << number.err;
}

}  // namespace
}  // namespace netpolgen
