package fakeapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Request is one entry of the server's request log.
type Request struct {
	Method, Path, Query string
	// Verb is the authorization verb: get, list, watch, create, update, patch, delete,
	// deletecollection. Exec is "create" whatever the HTTP method (see parseRequest).
	Verb                  string
	APIGroup, APIVersion  string
	Resource, Subresource string
	Namespace, Name       string
	User                  string
	// Code is the HTTP status answered (101 for an exec upgrade that succeeded).
	Code int
}

// IsExec reports whether r is a pods/exec request.
func (r Request) IsExec() bool { return r.Resource == "pods" && r.Subresource == "exec" }

// IsReadOnly reports whether r cannot change anything: get, list, watch and discovery.
func (r Request) IsReadOnly() bool {
	switch r.Verb {
	case "get", "list", "watch", "":
		return r.Method == http.MethodGet || r.Method == http.MethodHead
	}
	return false
}

func (r Request) String() string {
	res := r.Resource
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	return fmt.Sprintf("%s %s %s ns=%q name=%q -> %d", r.Method, r.Verb, res, r.Namespace, r.Name, r.Code)
}

// Attributes is what an Authorizer is asked about, like the API server's authorizer.Attributes.
type Attributes struct {
	User, Verb, APIGroup, Resource, Subresource, Namespace, Name string
}

// Authorizer decides a request. A denial carries an optional reason appended to the message,
// as RBAC does.
type Authorizer func(a Attributes) (allowed bool, reason string)

// Deny returns an Authorizer that denies verb on resource ("pods/exec" for a subresource) in
// namespace ("" = every namespace and cluster scope) and allows everything else.
func Deny(verb, resource, namespace string) Authorizer {
	return func(a Attributes) (bool, string) {
		res := a.Resource
		if a.Subresource != "" {
			res += "/" + a.Subresource
		}
		if a.Verb == verb && res == resource && (namespace == "" || a.Namespace == namespace) {
			return false, ""
		}
		return true, ""
	}
}

// DenyExecIn denies pods/exec in the given namespace ("" = everywhere).
func DenyExecIn(namespace string) Authorizer { return Deny("create", "pods/exec", namespace) }

func (r Request) Attributes() Attributes {
	return Attributes{User: r.User, Verb: r.Verb, APIGroup: r.APIGroup, Resource: r.Resource,
		Subresource: r.Subresource, Namespace: r.Namespace, Name: r.Name}
}

// forbidden builds the Status the API server sends on an authorization denial, with the same
// message text (k8s.io/apiserver endpoints/handlers/responsewriters forbiddenMessage).
func forbidden(a Attributes, reason string) *metav1.Status {
	res := a.Resource
	if a.Subresource != "" {
		res += "/" + a.Subresource
	}
	var msg string
	if a.Namespace != "" {
		msg = fmt.Sprintf("User %q cannot %s resource %q in API group %q in the namespace %q", a.User, a.Verb, res, a.APIGroup, a.Namespace)
	} else {
		msg = fmt.Sprintf("User %q cannot %s resource %q in API group %q at the cluster scope", a.User, a.Verb, res, a.APIGroup)
	}
	if reason != "" {
		msg += ": " + reason
	}
	return statusOf(apierrors.NewForbidden(schema.GroupResource{Group: a.APIGroup, Resource: a.Resource}, a.Name, fmt.Errorf("%s", msg)))
}

// parseRequest splits an API path the way the API server's RequestInfoFactory does.
// ok is false for paths outside /api/v1 and /apis/GROUP/VERSION. A path naming only a group
// version (discovery) returns an empty Resource.
func parseRequest(method, path string, q url.Values) (Request, bool) {
	r := Request{Method: method, Path: path}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		r.APIVersion, parts = parts[1], parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		r.APIGroup, r.APIVersion, parts = parts[1], parts[2], parts[3:]
	default:
		return r, false
	}
	known := false
	for _, gv := range groupVersions() {
		if gv.Group == r.APIGroup && gv.Version == r.APIVersion {
			known = true
		}
	}
	if !known {
		return r, false
	}
	if len(parts) == 0 {
		r.Verb = "get"
		return r, true
	}
	if parts[0] == "namespaces" && len(parts) >= 3 {
		r.Namespace, parts = parts[1], parts[2:]
	}
	r.Resource = parts[0]
	if len(parts) > 1 {
		r.Name = parts[1]
	}
	if len(parts) > 2 {
		r.Subresource = parts[2]
	}
	if len(parts) > 3 {
		return r, false
	}
	if r.Resource == "namespaces" && r.Name != "" && r.Subresource == "" {
		r.Namespace = r.Name
	}
	switch method {
	case http.MethodGet, http.MethodHead:
		switch {
		case q.Get("watch") == "true" || q.Get("watch") == "1":
			r.Verb = "watch"
		case r.Name == "":
			r.Verb = "list"
		default:
			r.Verb = "get"
		}
	case http.MethodPost:
		r.Verb = "create"
	case http.MethodPut:
		r.Verb = "update"
	case http.MethodPatch:
		r.Verb = "patch"
	case http.MethodDelete:
		r.Verb = "delete"
		if r.Name == "" {
			r.Verb = "deletecollection"
		}
	default:
		r.Verb = strings.ToLower(method)
	}
	// Exec is authorized as "create pods/exec" for POST (SPDY) and, on current API servers, also
	// for the WebSocket GET (AuthorizePodWebsocketUpgradeCreatePermission): RBAC needs "create".
	if r.Resource == "pods" && r.Subresource == "exec" {
		r.Verb = "create"
	}
	return r, true
}
