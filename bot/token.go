package bot

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/disgoorg/snowflake/v2"
)

// applicationID reads the application ID from a bot token, whose first
// part is the ID in base64. The error never contains the token.
func applicationID(token string) (snowflake.ID, error) {
	first, _, ok := strings.Cut(token, ".")
	if !ok {
		return 0, errors.New("bot: the token is not a bot token (want three parts separated by dots)")
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.StdEncoding, base64.RawURLEncoding, base64.URLEncoding} {
		if b, err := enc.DecodeString(first); err == nil {
			if id, err := snowflake.Parse(string(b)); err == nil && id != 0 {
				return id, nil
			}
		}
	}
	return 0, errors.New("bot: the token is not a bot token (its first part is not a base64 application ID)")
}
