#include "io/endpoint_text.h"

#include "io/flow_json_fields.h"

namespace netpolgen::io::detail {

std::string describeEndpointIssue(std::string_view text,
                                  std::string_view which,
                                  const EndpointIssue& issue) {
    using What = EndpointIssue::What;
    std::string why;
    switch (issue.what) {
        case What::kNone:
        case What::kUnrecognised:
            why =
                "expected NAMESPACE/NAME, NAMESPACE/KIND/NAME, internet, internal, an IP address "
                "or a CIDR";
            break;
        case What::kBadCidr:
            why = "invalid CIDR";
            break;
        case What::kTooManySegments:
            why = "expected NAMESPACE/NAME or NAMESPACE/KIND/NAME";
            break;
        case What::kEmptyNamespace:
            why = "empty namespace";
            break;
        case What::kBadNamespace:
            why = "invalid namespace \"" + printable(issue.part) + "\"";
            break;
        case What::kBadKind:
            why = "invalid kind \"" + printable(issue.part) + "\" in NAMESPACE/KIND/NAME";
            break;
        case What::kEmptyName:
            why = "empty name";
            break;
        case What::kBadName:
            why = "invalid name \"" + printable(issue.part) + "\"";
            break;
    }
    return std::string(which) + " \"" + printable(text) + "\": " + why;
}

}  // namespace netpolgen::io::detail
