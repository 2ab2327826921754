package recall

// InvalidFields turns a map of invalid input fields (field name → what is
// wrong with it, e.g. "is required") into one EINVALID error, or nil when
// the map is empty: the error the domain's own Validate methods return, for
// inputs validated outside this package. With one field the message names
// it ("topic_id is required."); with more it is "The request is invalid.".
func InvalidFields(fields map[string]string) error { return fieldsError(fields) }
