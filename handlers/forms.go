package handlers

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
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

// fieldErrors turns validator errors into one Dutch message per form field, in field order.
// labels names each field as the form shows it.
func fieldErrors(err error, labels map[string]string) ([]problemView, map[string]string) {
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
		msg := dutchRule(fe, labels[fe.Field()])
		byField[fe.Field()] = msg
		summary = append(summary, problemView{Href: "#" + fe.Field(), Message: msg})
	}
	return summary, byField
}

func dutchRule(fe validator.FieldError, label string) string {
	if label == "" {
		label = fe.Field()
	}
	switch fe.Tag() {
	case "required":
		return "Vul " + strings.ToLower(label) + " in"
	case "email":
		return "Vul een e-mailadres in zoals naam@gemeente.nl"
	case "max":
		return fmt.Sprintf("%s mag hoogstens %s tekens zijn", label, fe.Param())
	case "min":
		return fmt.Sprintf("%s moet minstens %s zijn", label, fe.Param())
	case "eqfield":
		return label + " is niet hetzelfde als daarvoor"
	case "datetime":
		return "Vul bij " + strings.ToLower(label) + " een datum en tijd in, zoals 31-03-2018 17:00"
	case "oneof":
		return "Kies een van de genoemde mogelijkheden bij " + strings.ToLower(label)
	}
	return label + " is niet geldig"
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
