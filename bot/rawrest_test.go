package bot_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/hearthbot/hearth/discordtest"
)

// registerRaw PUTs raw command JSON to the emulator, as another version
// of the bot would have registered it.
func registerRaw(srv *discordtest.Server, body string) error {
	req, _ := http.NewRequest("PUT", srv.RESTURL()+"/applications/"+srv.ApplicationID().String()+"/commands", strings.NewReader(body))
	req.Header.Set("Authorization", "Bot "+srv.Token())
	req.Header.Set("User-Agent", "DiscordBot (test, 1)")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("register commands: %d %s", resp.StatusCode, b)
	}
	return nil
}
