// error_response: the short responses holdon generates itself (400, 404, 413, 431,
// 501, 502, 504, 505). Plain text body of one line; none for HEAD.
#pragma once
#include <string>
#include <string_view>

namespace holdon {

std::string error_response(unsigned status, std::string_view text, bool keep_alive,
                           bool head_request = false);

}  // namespace holdon
