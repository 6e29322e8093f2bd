package handlers

import (
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"

	"peiling/locales"
)

// formValidator is echo's Validator for fixed-shape forms (login, survey settings).
type formValidator struct{ v *validator.Validate }

func newFormValidator() *formValidator {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("form"), ",")
		return name
	})
	return &formValidator{v: v}
}

func (fv *formValidator) Validate(i any) error { return fv.v.Struct(i) }

// fieldErrors turns validator errors into one message per form field, in field order, in the
// language of t. labels gives each field the message id of its name as the form shows it.
func fieldErrors(t *locales.Translator, err error, labels map[string]string) ([]problemView, map[string]string) {
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return nil, nil
	}
	var summary []problemView
	byField := map[string]string{}
	for _, fe := range ves {
		if _, dup := byField[fe.Field()]; dup {
			continue
		}
		label := fe.Field()
		if id, ok := labels[fe.Field()]; ok {
			label = t.T(id)
		}
		msg := ruleMessage(t, fe, label)
		byField[fe.Field()] = msg
		summary = append(summary, problemView{Href: "#" + fe.Field(), Message: msg})
	}
	return summary, byField
}

// ruleMessage words the rule a field broke; Lower is the label in the middle of a sentence.
func ruleMessage(t *locales.Translator, fe validator.FieldError, label string) string {
	args := []any{"Label", label, "Lower", strings.ToLower(label), "Param", fe.Param()}
	switch fe.Tag() {
	case "required", "email", "max", "min", "eqfield", "datetime", "oneof":
		return t.T("admin.form."+fe.Tag(), args...)
	}
	return t.T("admin.form.invalid", args...)
}

// setProblem puts msg on field, replacing a message the validator gave it.
func setProblem(summary []problemView, fields map[string]string, field, msg string) ([]problemView, map[string]string) {
	if fields == nil {
		fields = map[string]string{}
	}
	if _, had := fields[field]; had {
		for i := range summary {
			if summary[i].Href == "#"+field {
				summary[i].Message = msg
			}
		}
	} else {
		summary = append(summary, problemView{Href: "#" + field, Message: msg})
	}
	fields[field] = msg
	return summary, fields
}
