// A Deployment manifest for CLI tests: pods labelled app=NAME with one container port, as YAML
// (a document of its own, "---" first), so that a test cluster is a concatenation of them.
//
//   write("cluster.yaml", deploymentYaml("shop", "web", 8080) + deploymentYaml("shop", "db",
//   5432));
#pragma once

#include <string>

namespace netpolgen::testing_support {

inline std::string deploymentYaml(const std::string& ns, const std::string& name, int port) {
    return "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
           "\n  namespace: " + ns + "\nspec:\n  selector:\n    matchLabels:\n      app: " + name +
           "\n  template:\n    metadata:\n      labels:\n        app: " + name +
           "\n    spec:\n      containers:\n      - name: c\n        ports:\n        - "
           "containerPort: " +
           std::to_string(port) + "\n";
}

}  // namespace netpolgen::testing_support
