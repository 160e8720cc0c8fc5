"""Schema classes of amipub's announcements for fedora-messaging consumers.

Each class reads its JSON Schema from the package's ``schemas`` directory (the files amipub
itself validates against), so the Python and Rust sides cannot drift apart.
"""

import json
from importlib import resources

from fedora_messaging import message

__all__ = [
    "ReleasePublishedV1",
    "ReleaseSubmittedV1",
    "ReleaseFailedV1",
    "ReleaseAwaitingSubmissionV1",
    "ReleaseRestrictedV1",
    "ReleaseAliasMovedV1",
    "ReleaseImageRetiredV1",
]


def _schema(name):
    text = resources.files(__name__).joinpath("schemas", name + ".json").read_text("utf-8")
    return json.loads(text)


class _Release(message.Message):
    """What every amipub release message carries: the build, the product and the version."""

    @property
    def app_name(self):
        return "amipub"

    @property
    def product(self):
        return self.body.get("product")

    @property
    def version_title(self):
        return self.body.get("version_title")

    @property
    def release_id(self):
        return self.body.get("release_id")

    @property
    def architecture(self):
        return self.body.get("architecture")


class ReleasePublishedV1(_Release):
    """A version is live in AWS Marketplace, with its Marketplace AMI in each Region."""

    topic = "amipub.release.published.v1"
    body_schema = _schema(topic)

    @property
    def marketplace_regions(self):
        """Region -> AMI id owned by aws-marketplace."""
        return dict(self.body.get("marketplace_regions", {}))

    @property
    def ami_alias(self):
        """The version's AMI alias (launch with ``resolve:ssm:<alias>`` in any Region of the
        listing), or None when the message has none (senders before the field existed)."""
        return self.body.get("ami_alias")

    @property
    def summary(self):
        return (
            f"amipub published {self.product} {self.version_title} in AWS Marketplace "
            f"({len(self.marketplace_regions)} regions)"
        )

    def __str__(self):
        lines = [self.summary, ""]
        for region, ami in sorted(self.marketplace_regions.items()):
            lines.append(f"{region}: {ami}")
        params = self.body.get("ssm_parameters") or []
        if params:
            lines += ["", "SSM parameters: " + ", ".join(params)]
        if self.ami_alias:
            lines += ["", f"Launch with: --image-id resolve:ssm:{self.ami_alias}"]
        return "\n".join(lines)


class ReleaseSubmittedV1(_Release):
    """A version was submitted to AWS Marketplace and is being scanned."""

    topic = "amipub.release.submitted.v1"
    body_schema = _schema(topic)

    @property
    def summary(self):
        return (
            f"amipub submitted {self.product} {self.version_title} to AWS Marketplace "
            f"(change set {self.body.get('change_set_id')})"
        )

    def __str__(self):
        return self.summary


class ReleaseFailedV1(_Release):
    """A release stopped on a step that needs a person."""

    topic = "amipub.release.failed.v1"
    body_schema = _schema(topic)
    severity = message.ERROR

    @property
    def summary(self):
        return (
            f"amipub release {self.release_id} of {self.product} {self.version_title} failed "
            f"at {self.body.get('step')}: {self.body.get('kind')}"
        )

    @property
    def failed_controls(self):
        """The AMI security controls a failed scan failed: [(control, remedy)], empty when the
        message names none (other failures, or senders before the field existed)."""
        return [(c["control"], c.get("remedy", "")) for c in self.body.get("failed_controls") or []]

    def __str__(self):
        lines = [self.summary, "", self.body.get("detail", ""), "", "To do: " + self.body.get("remedy", "")]
        if self.failed_controls:
            lines += ["", "Failed controls:"]
            lines += [f"{control}: {remedy}" for control, remedy in self.failed_controls]
        return "\n".join(lines)


class ReleaseAwaitingSubmissionV1(_Release):
    """A second-party load form waits for a person to attach it to the Marketplace ticket."""

    topic = "amipub.release.awaiting-submission.v1"
    body_schema = _schema(topic)

    @property
    def summary(self):
        hours = self.body.get("waited_seconds", 0) // 3600
        return (
            f"amipub's load form for {self.product} {self.version_title} has waited {hours} h "
            f"to be attached to the AWS Marketplace ticket"
        )

    def __str__(self):
        return "\n".join(
            [
                self.summary,
                "",
                f"Workbook: {self.body.get('form')} (amipub form {self.release_id} --out DIR)",
                f"Then: amipub submitted {self.release_id} --ticket URL",
            ]
        )


class ReleaseRestrictedV1(_Release):
    """Versions were restricted: new buyers can no longer launch them; names the replacement."""

    topic = "amipub.release.restricted.v1"
    body_schema = _schema(topic)

    @property
    def restricted_versions(self):
        return list(self.body.get("restricted_versions", []))

    @property
    def replacement(self):
        """The version to use instead: a dict with ``version_title`` and
        ``marketplace_regions`` (Region -> AMI id), or None when no version is live."""
        return self.body.get("replacement")

    @property
    def summary(self):
        versions = ", ".join(self.restricted_versions)
        instead = self.replacement["version_title"] if self.replacement else "no live version"
        return f"amipub restricted {self.product} {versions} in AWS Marketplace; use {instead}"

    def __str__(self):
        lines = [self.summary, "", f"Why: {self.body.get('reason')}"]
        if self.replacement:
            lines.append("")
            for region, ami in sorted(self.replacement.get("marketplace_regions", {}).items()):
                lines.append(f"{region}: {ami}")
        return "\n".join(lines)


class ReleaseAliasMovedV1(_Release):
    """An alias parameter (``latest`` …) points at another version: per Region, from -> to."""

    topic = "amipub.release.alias-moved.v1"
    body_schema = _schema(topic)

    @property
    def alias(self):
        return self.body.get("alias")

    @property
    def reason(self):
        """``promote`` (an operator asked) or ``rollback`` (the stream went back)."""
        return self.body.get("reason")

    @property
    def moves(self):
        """Region -> (from AMI id or None, to AMI id)."""
        return {r: (m.get("from"), m["to"]) for r, m in self.body.get("regions", {}).items()}

    @property
    def version_title(self):
        return self.body.get("to_version")

    @property
    def summary(self):
        how = "rolled back" if self.reason == "rollback" else "promoted"
        return (
            f"amipub {how} {self.product} {self.alias} to {self.version_title} "
            f"({len(self.moves)} regions)"
        )

    def __str__(self):
        lines = [self.summary, "", f"Parameter: {self.body.get('parameter')}"]
        for region, (old, new) in sorted(self.moves.items()):
            lines.append(f"{region}: {old or '-'} -> {new}")
        return "\n".join(lines)


class ReleaseImageRetiredV1(_Release):
    """A seller-side AMI of a restricted version was retired (deprecated, no longer shared) or
    deleted with its snapshots."""

    topic = "amipub.release.image-retired.v1"
    body_schema = _schema(topic)

    @property
    def action(self):
        """``retired`` or ``deleted``."""
        return self.body.get("action")

    @property
    def ami(self):
        return self.body.get("ami")

    @property
    def summary(self):
        what = "deleted" if self.action == "deleted" else "retired"
        return f"amipub {what} {self.ami} of {self.product} in {self.body.get('region')}"

    def __str__(self):
        lines = [self.summary]
        if self.body.get("deprecate_at"):
            lines.append(f"Deprecated at: {self.body['deprecate_at']}")
        if self.body.get("delete_after"):
            lines.append(f"Deleted from: {self.body['delete_after']}")
        return "\n".join(lines)
