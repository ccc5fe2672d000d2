package bot

import (
	"github.com/bytedance/sonic"
	disgojson "github.com/disgoorg/json/v2"
)

// disgo decodes every gateway payload through the functions of
// github.com/disgoorg/json, package variables meant to be swapped: with
// encoding/json, one INTERACTION_CREATE is scanned about twelve times
// (the envelope, then each custom UnmarshalJSON down to the channel and
// member), which made half of the bot's CPU under load. sonic's
// std-compatible decoder reads the same types with the same results at
// a quarter less CPU per interaction (docs/benchmarks.md). Encoding
// stays encoding/json: disgo's omitzero tags need it.
func init() { disgojson.Unmarshal = sonic.ConfigStd.Unmarshal }
