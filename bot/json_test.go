package bot

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/disgoorg/disgo/gateway"
	disgojson "github.com/disgoorg/json/v2"
)

// decodeWith decodes an event with fn as disgo's Unmarshal.
func decodeWith(fn func([]byte, any) error, data []byte, t gateway.EventType) (gateway.EventData, error) {
	saved := disgojson.Unmarshal
	disgojson.Unmarshal = fn
	defer func() { disgojson.Unmarshal = saved }()
	return gateway.UnmarshalEventData(data, t)
}

var sampleEvents = []struct {
	t    gateway.EventType
	data string
}{
	{gateway.EventTypeMessageCreate, `{"id":"1199126400000000001","channel_id":"1199126347851497472","guild_id":"1199126347826331648",
		"author":{"id":"1199126347796971520","username":"member1","discriminator":"0","global_name":"Member1","avatar":null},
		"member":{"roles":["1199126347830525952"],"joined_at":"2024-01-04T03:00:00Z","deaf":false,"mute":false,"flags":0},
		"content":"hello <@1199126347780194304> ünïcödé \"quoted\"","timestamp":"2026-11-27T01:00:00.000000+00:00","edited_timestamp":null,
		"tts":false,"mention_everyone":false,"mentions":[{"id":"1199126347780194304","username":"Hearth","discriminator":"0","bot":true,"avatar":null}],
		"mention_roles":[],"attachments":[],"embeds":[],"pinned":false,"type":0,"flags":0,"components":[]}`},
	{gateway.EventTypeGuildMemberUpdate, `{"guild_id":"1199126347826331648","roles":["1199126347830525952"],
		"user":{"id":"1199126347796971520","username":"member1","discriminator":"0","global_name":null,"avatar":null},
		"nick":"Newname","joined_at":"2024-01-04T03:00:00Z","communication_disabled_until":"2026-12-01T00:00:00Z","flags":0}`},
	{gateway.EventTypeMessageDelete, `{"id":"1199126400000000001","channel_id":"1199126347851497472","guild_id":"1199126347826331648"}`},
}

// sonic, swapped in for disgo's Unmarshal, must decode what disgo gets
// exactly as encoding/json does.
func TestSonicDecodesDisgoEventsAsEncodingJSONDoes(t *testing.T) {
	interaction, err := os.ReadFile("testdata/interaction_create.json")
	if err != nil {
		t.Fatal(err)
	}
	events := append(sampleEvents, struct {
		t    gateway.EventType
		data string
	}{gateway.EventTypeInteractionCreate, string(interaction)})
	for _, e := range events {
		want, err := decodeWith(json.Unmarshal, []byte(e.data), e.t)
		if err != nil {
			t.Fatalf("%s with encoding/json: %v", e.t, err)
		}
		got, err := decodeWith(unmarshal, []byte(e.data), e.t)
		if err != nil {
			t.Fatalf("%s with sonic: %v", e.t, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: sonic decoded\n%+v\nencoding/json\n%+v", e.t, got, want)
		}
	}
}

// FuzzSonicMatchesEncodingJSON: on any input both accept, both decode
// the same message.
func FuzzSonicMatchesEncodingJSON(f *testing.F) {
	for _, e := range sampleEvents {
		f.Add([]byte(e.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, errStd := decodeWith(json.Unmarshal, data, gateway.EventTypeMessageCreate)
		got, errSonic := decodeWith(unmarshal, data, gateway.EventTypeMessageCreate)
		if errStd == nil && errSonic == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("sonic decoded\n%+v\nencoding/json\n%+v", got, want)
		}
	})
}
