package discordtest

import "fmt"

// apiError is an error answer in Discord's shape: {code, message, errors}.
type apiError struct {
	Status  int    `json:"-"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Errors  any    `json:"errors,omitempty"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %d: %s", e.Status, e.Code, e.Message) }

func errUnknown(code int, what string) *apiError {
	return &apiError{Status: 404, Code: code, Message: "Unknown " + what}
}

var (
	errNotFound           = &apiError{Status: 404, Code: 0, Message: "404: Not Found"}
	errUnauthorized       = &apiError{Status: 401, Code: 0, Message: "401: Unauthorized"}
	errMissingAccess      = &apiError{Status: 403, Code: 50001, Message: "Missing Access"}
	errMissingPermissions = &apiError{Status: 403, Code: 50013, Message: "Missing Permissions"}
	errCannotDM           = &apiError{Status: 403, Code: 50007, Message: "Cannot send messages to this user"}
	errEmptyMessage       = &apiError{Status: 400, Code: 50006, Message: "Cannot send an empty message"}
	errUnknownInteraction = &apiError{Status: 404, Code: 10062, Message: "Unknown interaction"}
	errAlreadyAcked       = &apiError{Status: 400, Code: 40060, Message: "Interaction has already been acknowledged."}
	errInvalidWebhookTok  = &apiError{Status: 401, Code: 50027, Message: "Invalid Webhook Token"}
	errBadUserAgent       = &apiError{Status: 403, Code: 40333, Message: "internal network error"}
)

// Unknown-object errors, by the codes Discord uses.
var (
	errUnknownChannel = errUnknown(10003, "Channel")
	errUnknownGuild   = errUnknown(10004, "Guild")
	errUnknownMember  = errUnknown(10007, "Member")
	errUnknownMessage = errUnknown(10008, "Message")
	errUnknownRole    = errUnknown(10011, "Role")
	errUnknownUser    = errUnknown(10013, "User")
	errUnknownEmoji   = errUnknown(10014, "Emoji")
	errUnknownWebhook = errUnknown(10015, "Webhook")
	errUnknownBan     = errUnknown(10026, "Ban")
	errUnknownCommand = errUnknown(10063, "application command")
)

// formError is a 50035 Invalid Form Body naming the field that is wrong,
// as Discord nests it: {"errors": {"content": {"_errors": [{code, message}]}}}.
func formError(field, code, message string) *apiError {
	return &apiError{Status: 400, Code: 50035, Message: "Invalid Form Body",
		Errors: nestField(field, map[string]any{"_errors": []map[string]string{{"code": code, "message": message}}})}
}

// nestField turns "embeds.0.title" into nested objects around leaf.
func nestField(field string, leaf any) any {
	for i := len(field) - 1; i >= 0; i-- {
		if field[i] == '.' {
			return nestField(field[:i], map[string]any{field[i+1:]: leaf})
		}
	}
	return map[string]any{field: leaf}
}
