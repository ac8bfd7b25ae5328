package database

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/database/render"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// ensureSecrets creates the credentials of db once. An existing Secret is
// never touched: rotating a password needs PostgreSQL to change it too, and
// a re-apply must not lock out running members.
func (r *Reconciler) ensureSecrets(ctx context.Context, db *v1alpha1.Database) ([]string, error) {
	names := render.NamesOf(db)
	users := []struct{ secret, user string }{
		{names.Superuser(), render.SuperuserName},
		{names.Replication(), render.ReplicationName},
		{names.App(), render.AppUser},
	}

	var created []string
	for _, u := range users {
		if err := r.createSecretOnce(ctx, db, u.secret, u.user); err != nil {
			return nil, err
		}
		created = append(created, u.secret)
	}
	return created, nil
}

func (r *Reconciler) createSecretOnce(ctx context.Context, db *v1alpha1.Database, name, user string) error {
	var existing corev1.Secret
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: db.Namespace, Name: name}, &existing)
	if err == nil || !apierrors.IsNotFound(err) {
		return err
	}

	password, err := randomPassword()
	if err != nil {
		return err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: db.Namespace,
			Labels:    map[string]string{LabelDatabase: db.Name, render.LabelManagedBy: "tidemark"},
			// The owner reference lets the finalizer find and release the
			// Secret; with Retain it is removed before the Database goes.
			OwnerReferences: []metav1.OwnerReference{ownerReference(db)},
		},
		Type:       corev1.SecretTypeBasicAuth,
		StringData: map[string]string{"username": user, "password": password},
	}
	if err := r.Client.Create(ctx, secret); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating secret %s: %w", name, err)
	}
	return nil
}

func randomPassword() (string, error) {
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generating a password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

func ownerReference(db *v1alpha1.Database) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion: v1alpha1.GroupVersion.String(),
		Kind:       "Database",
		Name:       db.Name,
		UID:        db.UID,
	}
}
