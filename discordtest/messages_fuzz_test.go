package discordtest

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzMessageInput feeds arbitrary bodies, JSON or multipart, through
// the message decoding and validation every message route uses: no input
// may panic, and an accepted message keeps Discord's limits.
func FuzzMessageInput(f *testing.F) {
	f.Add([]byte(`{"content":"hi","embeds":[{"title":"t","fields":[{"name":"a","value":"b"}]}]}`), "application/json")
	f.Add([]byte(`{"content":"<@1> <@&2> @everyone","allowed_mentions":{"parse":["users"],"users":["1"]}}`), "application/json")
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{\"content\":\"x\"}\r\n--b\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"a.txt\"\r\n\r\nabc\r\n--b--\r\n"), "multipart/form-data; boundary=b")
	f.Add([]byte(`{"embeds":[1,2]}`), "application/json")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Content-Type", contentType)
		c := &call{r: r, body: body}
		in, err := readMessageInput(c)
		if err != nil {
			return
		}
		if in.validate(true) != nil {
			return
		}
		if in.Content != nil && len([]rune(*in.Content)) > 2000 {
			t.Fatalf("accepted content of %d characters", len([]rune(*in.Content)))
		}
		if in.Embeds != nil && len(*in.Embeds) > 10 {
			t.Fatalf("accepted %d embeds", len(*in.Embeds))
		}
		if strings.TrimSpace(string(body)) == "" && len(in.files) == 0 {
			t.Fatal("accepted an empty body")
		}
	})
}
