"""Forward kinematics: turn a key position's segment directions into body shapes.

All measures are centimetres with y pointing up, so the floor is ``y = 0`` and
the maths reads like the pose data. One set of segment lengths and widths
keeps every figure in the same proportions.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal

from content.poses import Frame

Side = Literal["near", "far"]
Role = Literal["shirt", "skin", "pants", "shoe"]

# Segment lengths (cm) for a figure about 172 cm tall.
LUMBAR = 22.0
THORACIC = 30.0
NECK = 15.0
HEAD_R = 10.0
UPPER_ARM = 29.0
FOREARM = 25.0
HAND = 9.0
THIGH = 44.0
SHIN = 42.0
FOOT = 14.0
SHOULDER_DROP = 4.0  # the shoulder joint sits a little below the neck base
PELVIS_TAIL = 7.0  # the pelvis reaches this far below the hip joint along the spine

# Half-widths of the trunk, back (posterior) and front (anterior), along its length.
_TORSO_PROFILE = (
    # (fraction along the trunk, back, front)
    (0.00, 8.5, 7.5),
    (0.14, 10.2, 9.0),
    (0.42, 8.5, 8.8),
    (0.72, 9.5, 11.5),
    (0.92, 8.0, 8.5),
    (1.00, 6.5, 6.0),
)
_TORSO_SAMPLES = 40
HIPS_END = 0.3  # the trousers cover the trunk up to this fraction
CHEST_START = 0.55  # the rib cage starts here


@dataclass(frozen=True, slots=True)
class P:
    """A 2-D point or vector in centimetres."""

    x: float
    y: float

    def __add__(self, other: P) -> P:
        """Add two vectors."""
        return P(self.x + other.x, self.y + other.y)

    def __sub__(self, other: P) -> P:
        """Subtract two vectors."""
        return P(self.x - other.x, self.y - other.y)

    def __mul__(self, factor: float) -> P:
        """Scale a vector."""
        return P(self.x * factor, self.y * factor)

    def length(self) -> float:
        """Return the vector's length."""
        return math.hypot(self.x, self.y)


def direction(degrees: float) -> P:
    """Return the unit vector pointing ``degrees`` counter-clockwise from the right."""
    radians = math.radians(degrees)
    return P(math.cos(radians), math.sin(radians))


def front_of(degrees: float) -> P:
    """Return the unit vector towards the front of a segment pointing ``degrees``."""
    return direction(degrees - 90.0)


@dataclass(frozen=True, slots=True)
class Capsule:
    """A limb segment drawn as a rounded, possibly tapered bar."""

    name: str
    a: P
    b: P
    ra: float
    rb: float
    role: Role
    side: Side

    def bottom(self) -> float:
        """Return the lowest y the capsule reaches."""
        return min(self.a.y - self.ra, self.b.y - self.rb)

    def distance(self, point: P) -> float:
        """Return the distance from ``point`` to the capsule's surface (negative inside)."""
        ab = self.b - self.a
        span = ab.x * ab.x + ab.y * ab.y
        t = (
            0.0
            if span == 0
            else max(0.0, min(1.0, ((point - self.a).x * ab.x + (point - self.a).y * ab.y) / span))
        )
        closest = self.a + ab * t
        return (point - closest).length() - (self.ra + (self.rb - self.ra) * t)

    def extent_x(self) -> tuple[float, float]:
        """Return the capsule's leftmost and rightmost x."""
        return (
            min(self.a.x - self.ra, self.b.x - self.rb),
            max(self.a.x + self.ra, self.b.x + self.rb),
        )

    def moved(self, offset: P) -> Capsule:
        """Return the capsule shifted by ``offset``."""
        return Capsule(
            self.name, self.a + offset, self.b + offset, self.ra, self.rb, self.role, self.side
        )


@dataclass(frozen=True, slots=True)
class Body:
    """One posed figure: named joints, limb capsules, the trunk outline and the head."""

    points: dict[str, P]
    capsules: tuple[Capsule, ...]
    torso: tuple[P, ...]  # closed outline of the trunk
    hips: tuple[P, ...]  # closed outline of the part of the trunk in trousers
    chest: tuple[P, ...]  # closed outline of the rib cage half of the trunk
    belt: tuple[P, P]  # where the trousers meet the shirt, back to front
    head: P
    head_dir: float  # direction from the neck to the crown, degrees
    nose: P

    def moved(self, offset: P) -> Body:
        """Return the figure shifted by ``offset``."""
        return Body(
            points={name: point + offset for name, point in self.points.items()},
            capsules=tuple(capsule.moved(offset) for capsule in self.capsules),
            torso=tuple(point + offset for point in self.torso),
            hips=tuple(point + offset for point in self.hips),
            chest=tuple(point + offset for point in self.chest),
            belt=(self.belt[0] + offset, self.belt[1] + offset),
            head=self.head + offset,
            head_dir=self.head_dir,
            nose=self.nose + offset,
        )

    def capsule(self, name: str) -> Capsule:
        """Return the capsule called ``name``."""
        for capsule in self.capsules:
            if capsule.name == name:
                return capsule
        raise KeyError(name)

    def bottom(self) -> float:
        """Return the lowest y any part of the figure reaches."""
        return min(
            min(capsule.bottom() for capsule in self.capsules),
            min(point.y for point in self.torso),
            self.head.y - HEAD_R,
            self.nose.y - NOSE_R,
        )

    def outline(self, part: str) -> tuple[P, ...] | None:
        """Return the outline of a trunk part (``torso``, ``hips``, ``chest``), else ``None``."""
        return {"torso": self.torso, "hips": self.hips, "chest": self.chest}.get(part)

    def part_bottom(self, part: str) -> float:
        """Return the lowest y of one part (a capsule, a trunk part or ``head``)."""
        outline = self.outline(part)
        if outline is not None:
            return min(point.y for point in outline)
        if part == "head":
            return min(self.head.y - HEAD_R, self.nose.y - NOSE_R)
        return self.capsule(part).bottom()

    def part_distance(self, part: str, point: P) -> float:
        """Return the distance from ``point`` to the surface of one part."""
        outline = self.outline(part)
        if outline is not None:
            return _polygon_distance(outline, point)
        if part == "head":
            return (point - self.head).length() - HEAD_R
        return self.capsule(part).distance(point)

    def part_extent_x(self, part: str) -> tuple[float, float]:
        """Return the leftmost and rightmost x of one part."""
        outline = self.outline(part)
        if outline is not None:
            xs = [point.x for point in outline]
            return min(xs), max(xs)
        if part == "head":
            return self.head.x - HEAD_R, self.head.x + HEAD_R
        return self.capsule(part).extent_x()

    def extent(self) -> tuple[float, float, float, float]:
        """Return (left, bottom, right, top) of the whole figure."""
        xs: list[float] = []
        ys: list[float] = []
        for capsule in self.capsules:
            for centre, radius in ((capsule.a, capsule.ra), (capsule.b, capsule.rb)):
                xs += [centre.x - radius, centre.x + radius]
                ys += [centre.y - radius, centre.y + radius]
        xs += [point.x for point in self.torso]
        ys += [point.y for point in self.torso]
        xs += [self.head.x - HEAD_R, self.head.x + HEAD_R, self.nose.x]
        ys += [self.head.y - HEAD_R, self.head.y + HEAD_R, self.nose.y]
        return min(xs), min(ys), max(xs), max(ys)


NOSE_R = 2.3


def _polygon_distance(polygon: tuple[P, ...], point: P) -> float:
    """Return the distance from ``point`` to a closed outline (negative inside)."""
    best = math.inf
    inside = False
    count = len(polygon)
    for index in range(count):
        a, b = polygon[index], polygon[(index + 1) % count]
        ab = b - a
        span = ab.x * ab.x + ab.y * ab.y
        t = (
            0.0
            if span == 0
            else max(0.0, min(1.0, ((point - a).x * ab.x + (point - a).y * ab.y) / span))
        )
        best = min(best, (point - (a + ab * t)).length())
        if (a.y > point.y) != (b.y > point.y):
            cross = a.x + (point.y - a.y) * (b.x - a.x) / (b.y - a.y)
            if point.x < cross:
                inside = not inside
    return -best if inside else best


def _catmull_rom(points: list[P], samples: int) -> list[P]:
    """Sample a smooth curve through ``points`` (ends extended along their tangents)."""
    padded = [points[0] * 2 - points[1], *points, points[-1] * 2 - points[-2]]
    spans = len(points) - 1
    out: list[P] = []
    for index in range(samples + 1):
        u = index / samples * spans
        span = min(int(u), spans - 1)
        t = u - span
        p0, p1, p2, p3 = padded[span : span + 4]
        t2, t3 = t * t, t * t * t
        out.append(
            P(
                0.5
                * (
                    2 * p1.x
                    + (-p0.x + p2.x) * t
                    + (2 * p0.x - 5 * p1.x + 4 * p2.x - p3.x) * t2
                    + (-p0.x + 3 * p1.x - 3 * p2.x + p3.x) * t3
                ),
                0.5
                * (
                    2 * p1.y
                    + (-p0.y + p2.y) * t
                    + (2 * p0.y - 5 * p1.y + 4 * p2.y - p3.y) * t2
                    + (-p0.y + 3 * p1.y - 3 * p2.y + p3.y) * t3
                ),
            )
        )
    return out


def _even(curve: list[P], samples: int) -> list[P]:
    """Resample a polyline at equal arc-length steps, so fractions mean distances."""
    lengths = [0.0]
    for a, b in itertools.pairwise(curve):
        lengths.append(lengths[-1] + (b - a).length())
    total = lengths[-1]
    out: list[P] = []
    span = 0
    for index in range(samples + 1):
        target = total * index / samples
        while span < len(curve) - 2 and lengths[span + 1] < target:
            span += 1
        piece = lengths[span + 1] - lengths[span]
        t = 0.0 if piece == 0 else (target - lengths[span]) / piece
        out.append(curve[span] + (curve[span + 1] - curve[span]) * min(max(t, 0.0), 1.0))
    return out


def _profile(fraction: float) -> tuple[float, float]:
    """Interpolate the trunk's back and front half-widths at ``fraction`` of its length."""
    for (f0, b0, a0), (f1, b1, a1) in itertools.pairwise(_TORSO_PROFILE):
        if fraction <= f1:
            t = 0.0 if f1 == f0 else (fraction - f0) / (f1 - f0)
            return b0 + (b1 - b0) * t, a0 + (a1 - a0) * t
    return _TORSO_PROFILE[-1][1], _TORSO_PROFILE[-1][2]


def _outline(curve: list[P], start: float, end: float) -> tuple[P, ...]:
    """Return the closed trunk outline between two fractions of its length."""
    front: list[P] = []
    back: list[P] = []
    last = len(curve) - 1
    for index, point in enumerate(curve):
        fraction = index / last
        if fraction < start - 1e-9 or fraction > end + 1e-9:
            continue
        before, after = curve[max(index - 1, 0)], curve[min(index + 1, last)]
        tangent = after - before
        heading = math.degrees(math.atan2(tangent.y, tangent.x))
        half_back, half_front = _profile(fraction)
        front.append(point + front_of(heading) * half_front)
        back.append(point - front_of(heading) * half_back)
    cap_end = _cap(curve, last, end_of_trunk=True) if end >= 1.0 else []
    cap_start = _cap(curve, 0, end_of_trunk=False) if start <= 0.0 else []
    return (*front, *cap_end, *reversed(back), *cap_start)


def _belt(curve: list[P], fraction: float) -> tuple[P, P]:
    """Return the back and front edge of the trunk at ``fraction`` of its length."""
    index = round(fraction * (len(curve) - 1))
    tangent = curve[min(index + 1, len(curve) - 1)] - curve[max(index - 1, 0)]
    heading = math.degrees(math.atan2(tangent.y, tangent.x))
    half_back, half_front = _profile(index / (len(curve) - 1))
    return curve[index] - front_of(heading) * half_back, curve[index] + front_of(
        heading
    ) * half_front


def _cap(curve: list[P], index: int, *, end_of_trunk: bool) -> list[P]:
    """Round off one end of the trunk with a half-ellipse."""
    neighbour = curve[index - 1] if end_of_trunk else curve[index + 1]
    along = curve[index] - neighbour  # points out of the trunk at this end
    heading = math.degrees(math.atan2(along.y, along.x))
    outwards = direction(heading)
    half_back, half_front = _profile(1.0 if end_of_trunk else 0.0)
    # At the start ``outwards`` is reversed, so the trunk's front is on the other hand.
    front = front_of(heading) * (1.0 if end_of_trunk else -1.0)
    centre = curve[index] + front * ((half_front - half_back) / 2)
    radius = (half_front + half_back) / 2
    depth = radius * (0.55 if end_of_trunk else 0.8)
    sign = 1.0 if end_of_trunk else -1.0
    # From the front edge round the end to the back edge (from the back at the start).
    return [
        centre
        + front * (sign * math.cos(math.pi * step / 8) * radius)
        + outwards * (math.sin(math.pi * step / 8) * depth)
        for step in range(1, 8)
    ]


def _limb(
    frame: Frame,
    root: P,
    side: Side,
    kind: Literal["arm", "leg"],
) -> tuple[dict[str, P], list[Capsule]]:
    """Chain one arm or leg out from its root joint."""
    if kind == "arm":
        angles = frame.arm(side)
        names = ("upper_arm", "forearm", "hand")
        lengths = (UPPER_ARM, FOREARM, HAND)
        joints = ("elbow", "wrist", "fingers")
    else:
        angles = frame.leg(side)
        names = ("thigh", "shin", "foot")
        lengths = (THIGH, SHIN, FOOT)
        joints = ("knee", "ankle", "toe")
    points: dict[str, P] = {}
    current = root
    ends: list[P] = [root]
    for name, length, angle, joint in zip(names, lengths, angles, joints, strict=True):
        current = current + direction(angle) * (length * frame.length(f"{side}_{name}"))
        points[f"{side}_{joint}"] = current
        ends.append(current)
    capsules: list[Capsule] = []
    if kind == "arm":
        shoulder, elbow, wrist, fingers = ends
        capsules += [
            Capsule(f"{side}_upper_arm", shoulder, elbow, 5.0, 4.2, "skin", side),
            Capsule(f"{side}_forearm", elbow, wrist, 4.0, 3.0, "skin", side),
            Capsule(f"{side}_hand", wrist, fingers, 3.0, 2.4, "skin", side),
        ]
    else:
        hip, knee, ankle, _toe = ends
        foot_dir = angles[2]
        foot_length = FOOT * frame.length(f"{side}_foot")
        sole = direction(foot_dir - 90.0)
        heel = ankle - direction(foot_dir) * 1.0 + sole * 3.5
        toe = ankle + direction(foot_dir) * foot_length + sole * 4.5
        points[f"{side}_toe"] = toe
        capsules += [
            Capsule(f"{side}_thigh", hip, knee, 7.2, 5.4, "pants", side),
            Capsule(f"{side}_shin", knee, ankle, 5.0, 3.8, "pants", side),
            Capsule(f"{side}_foot", heel, toe, 3.5, 2.5, "shoe", side),
        ]
    return points, capsules


def pose_body(frame: Frame, far_shift: tuple[float, float] = (0.0, 0.0)) -> Body:
    """Build the figure for one key position with the hip joint at ``(root_x, 0)``."""
    lumbar, thoracic, neck = frame.spine
    pelvis = P(frame.root_x, 0.0)
    waist = pelvis + direction(lumbar) * LUMBAR
    neck_base = waist + direction(thoracic) * THORACIC
    shoulder = neck_base - direction(thoracic) * SHOULDER_DROP
    head = neck_base + direction(neck) * NECK
    spine = [pelvis - direction(lumbar) * PELVIS_TAIL, pelvis, waist, neck_base]
    curve = _even(_catmull_rom(spine, 3 * _TORSO_SAMPLES), _TORSO_SAMPLES)
    shift = P(*far_shift)
    points = {
        "pelvis": pelvis,
        "waist": waist,
        "neck_base": neck_base,
        "shoulder": shoulder,
        "head": head,
    }
    capsules: list[Capsule] = []
    for side in ("far", "near"):
        offset = shift if side == "far" else P(0.0, 0.0)
        arm_points, arm = _limb(frame, shoulder + offset, side, "arm")
        leg_points, leg = _limb(frame, pelvis + offset, side, "leg")
        points |= arm_points | leg_points
        capsules += arm + leg
    nose = head + front_of(neck) * (HEAD_R * 0.98) - direction(neck) * (HEAD_R * 0.12)
    return Body(
        points=points,
        capsules=tuple(capsules),
        torso=_outline(curve, 0.0, 1.0),
        hips=_outline(curve, 0.0, HIPS_END),
        chest=_outline(curve, CHEST_START, 1.0),
        belt=_belt(curve, HIPS_END),
        head=head,
        head_dir=neck,
        nose=nose,
    )
