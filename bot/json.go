package bot

import (
	"unsafe"

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
func init() { disgojson.Unmarshal = unmarshal }

// unmarshal decodes data into v with sonic, without the copy of data
// that sonic's Unmarshal makes into a string: the string only lives
// while decoding, data is not written meanwhile, and ConfigStd copies
// every string it decodes, so nothing decoded points into data (the
// []byte a custom UnmarshalJSON gets may, as with encoding/json, whose
// contract says to copy what it keeps).
func unmarshal(data []byte, v any) error {
	if len(data) == 0 {
		return sonic.ConfigStd.Unmarshal(data, v)
	}
	return sonic.ConfigStd.UnmarshalFromString(unsafe.String(unsafe.SliceData(data), len(data)), v)
}
