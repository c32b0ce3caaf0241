"""Place each key position on the floor, mat or prop, and fit the props to the figure.

The renderer never trusts pose data to put the figure at the right height: it
lowers or raises every position until its lowest point rests on the support
surface, so nobody floats or sinks. Props are fitted the same way: the ball
and roller are sized to touch the body, the wall stands at the feet, the
kettlebell hangs from the hands and a chair's seat sits under the hips. The
functions here are pure geometry, so tests can check contacts without drawing
a pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.pictures.skeleton import Body, Capsule, P, pose_body
from content.poses import Frame, PoseSet

MAT_THICKNESS = 2.5
BALL_RADIUS = (20.0, 40.0)  # exercise balls are 45-75 cm across
ROLLER_RADIUS = (4.0, 10.0)  # fascia rollers are about 8-20 cm across
WALL_WIDTH = 14.0
CHAIR_SEAT_DEPTH = 44.0  # an office chair's seat is about 40-48 cm deep
CHAIR_BACK_HEIGHT = 42.0
CHAIR_SEAT_THICKNESS = 5.0

# Kettlebell shape relative to the grip point (cm).
BELL_RADIUS = 11.0
BELL_CENTRE_DROP = 14.0
BELL_BASE_DROP = 23.5
HANDLE_RISE = 3.0


@dataclass(frozen=True, slots=True)
class Ball:
    """A round prop seen from the side (exercise ball or fascia roller)."""

    centre: P
    radius: float


@dataclass(frozen=True, slots=True)
class Kettlebell:
    """A kettlebell whose handle is in the figure's hands."""

    grip: P

    @property
    def centre(self) -> P:
        """Return the centre of the bell."""
        return P(self.grip.x, self.grip.y - BELL_CENTRE_DROP)

    def bottom(self) -> float:
        """Return the y of the flat base."""
        return self.grip.y - BELL_BASE_DROP


@dataclass(frozen=True, slots=True)
class Chair:
    """A plain chair seen from the side, its backrest behind the figure (on the left)."""

    seat_y: float  # top of the seat
    left: float  # back edge of the seat, where the backrest stands
    right: float  # front edge of the seat

    @property
    def back_top(self) -> float:
        """Return the y of the top of the backrest."""
        return self.seat_y + CHAIR_BACK_HEIGHT


@dataclass(frozen=True, slots=True)
class Placed:
    """One key position as drawn: the figure at its height and what it holds."""

    body: Body
    kettlebell: Kettlebell | None


@dataclass(frozen=True, slots=True)
class Scene:
    """Every key position of an exercise in one shared coordinate frame, with its props."""

    poses: PoseSet
    placed: tuple[Placed, ...]
    support: float  # y of the surface the figure rests on (floor or mat top)
    mat: tuple[float, float] | None  # left and right end of the mat
    ball: Ball | None
    roller: Ball | None
    wall_x: float | None  # the wall's face
    wall_side: str
    chair: Chair | None = None

    def _chair_extent(
        self, box: tuple[float, float, float, float]
    ) -> tuple[float, float, float, float]:
        """Widen ``box`` (left, bottom, right, top) to hold the chair, if there is one."""
        if self.chair is None:
            return box
        left, bottom, right, top = box
        return (
            min(left, self.chair.left - 2.0),
            bottom,
            max(right, self.chair.right + 2.0),
            max(top, self.chair.back_top),
        )

    def extent(self) -> tuple[float, float, float, float]:
        """Return (left, bottom, right, top) covering every position and prop."""
        boxes = [placed.body.extent() for placed in self.placed]
        left = min(box[0] for box in boxes)
        right = max(box[2] for box in boxes)
        top = max(box[3] for box in boxes)
        for placed in self.placed:
            if placed.kettlebell is not None:
                centre = placed.kettlebell.centre
                left = min(left, centre.x - BELL_RADIUS)
                right = max(right, centre.x + BELL_RADIUS)
        for ball in (self.ball, self.roller):
            if ball is not None:
                left = min(left, ball.centre.x - ball.radius)
                right = max(right, ball.centre.x + ball.radius)
                top = max(top, ball.centre.y + ball.radius)
        if self.wall_x is not None:
            if self.wall_side == "left":
                left = min(left, self.wall_x - WALL_WIDTH)
            else:
                right = max(right, self.wall_x + WALL_WIDTH)
        if self.mat is not None:
            left = min(left, self.mat[0])
            right = max(right, self.mat[1])
        return self._chair_extent((left, 0.0, right, top))


def grip_of(body: Body) -> P:
    """Return where the hands close round a handle: the middle of the near hand."""
    hand: Capsule = body.capsule("near_hand")
    return hand.a + (hand.b - hand.a) * 0.45


def place(poses: PoseSet, index: int) -> Placed:
    """Return key position ``index`` lowered or raised until it rests on its support."""
    return place_frame(poses, poses.frames[index])


def place_frame(poses: PoseSet, frame: Frame) -> Placed:
    """Return any position of this exercise (also an in-between one) resting on its support."""
    body = pose_body(frame, poses.far_shift)
    support = MAT_THICKNESS if poses.has("mat") else 0.0
    lowest = body.bottom()
    kettlebell = Kettlebell(grip_of(body)) if poses.has("kettlebell") else None
    if kettlebell is not None:
        lowest = min(lowest, kettlebell.bottom())
    offset = P(0.0, support - lowest)
    body = body.moved(offset)
    if kettlebell is not None:
        kettlebell = Kettlebell(kettlebell.grip + offset)
    return Placed(body, kettlebell)


def lowest_point(poses: PoseSet, index: int) -> float:
    """Return the lowest y of a placed position, held weight included (equals the support)."""
    placed = place(poses, index)
    lowest = placed.body.bottom()
    if placed.kettlebell is not None:
        lowest = min(lowest, placed.kettlebell.bottom())
    return lowest


def support_level(poses: PoseSet) -> float:
    """Return the height of the surface the figure rests on: the mat's top or the floor."""
    return MAT_THICKNESS if poses.has("mat") else 0.0


def _fit_round(body: Body, centre_x: float, low: float, high: float) -> float:
    """Return the radius of a round prop on the floor at ``centre_x`` that just touches the body."""
    parts = ["torso", *(capsule.name for capsule in body.capsules)]

    def gap(radius: float) -> float:
        centre = P(centre_x, radius)
        return min(body.part_distance(part, centre) for part in parts) - radius

    if gap(high) > 0:
        return high
    if gap(low) < 0:
        return low
    for _ in range(60):
        middle = (low + high) / 2
        if gap(middle) > 0:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def build_scene(poses: PoseSet) -> Scene:
    """Place every position and fit the props around them."""
    placed = tuple(place(poses, index) for index in range(len(poses.frames)))
    first = placed[0].body
    ball = roller = None
    wall_x = None
    wall_side = "left"
    bodies = [item.body for item in placed]
    ball_prop = poses.prop("ball")
    if ball_prop is not None:
        centre_x = first.points["pelvis"].x + ball_prop.dx
        # The largest ball that no position sinks into; the pose data makes each one touch.
        radius = min(_fit_round(body, centre_x, *BALL_RADIUS) for body in bodies)
        ball = Ball(P(centre_x, radius), radius)
    roller_prop = poses.prop("roller")
    if roller_prop is not None:
        centre_x = first.points["pelvis"].x + roller_prop.dx
        radius = min(_fit_round(body, centre_x, *ROLLER_RADIUS) for body in bodies)
        roller = Ball(P(centre_x, radius), radius)
    wall_prop = poses.prop("wall")
    if wall_prop is not None:
        wall_side = wall_prop.side
        feet = [first.part_extent_x(name) for name in ("near_foot", "far_foot")]
        wall_x = min(f[0] for f in feet) if wall_side == "left" else max(f[1] for f in feet)
    chair = fit_chair(poses, bodies)
    mat = None
    if poses.has("mat"):
        lefts, rights = [], []
        for item in placed:
            left, _, right, _ = item.body.extent()
            lefts.append(left)
            rights.append(right)
        mat = (min(lefts) - 8.0, max(rights) + 8.0)
    return Scene(
        poses=poses,
        placed=placed,
        support=support_level(poses),
        mat=mat,
        ball=ball,
        roller=roller,
        wall_x=wall_x,
        wall_side=wall_side,
        chair=chair,
    )


def fit_chair(poses: PoseSet, bodies: list[Body]) -> Chair | None:
    """Put the seat's top under the lowest the hips reach, its middle ``dx`` from the pelvis.

    The feet rest on the floor (``place``), so the seat's height follows from the legs;
    the lowest hips of all positions decide it, so no position sinks into the seat.
    """
    prop = poses.prop("chair")
    if prop is None:
        return None
    seat_y = min(body.part_bottom("hips") for body in bodies)
    middle = bodies[0].points["pelvis"].x + prop.dx
    half = CHAIR_SEAT_DEPTH / 2
    return Chair(seat_y=seat_y, left=middle - half, right=middle + half)


def contact_gap(scene: Scene, index: int, part: str, surface: str) -> float:
    """Return how far ``part`` is from ``surface`` in position ``index`` (0 = touching)."""
    placed = scene.placed[index]
    body = placed.body
    if part == "kettlebell":
        if placed.kettlebell is None:
            raise ValueError("no kettlebell in this scene")
        if surface != "ground":
            raise ValueError("a kettlebell can only rest on the ground")
        return placed.kettlebell.bottom() - scene.support
    if surface == "ground":
        # Anything standing beside the mat (hands, feet) may rest on the floor instead.
        return body.part_bottom(part) - scene.support
    if surface == "chair":
        if scene.chair is None:
            raise ValueError("no chair in this scene")
        return body.part_bottom(part) - scene.chair.seat_y
    if surface in ("ball", "roller"):
        round_prop = scene.ball if surface == "ball" else scene.roller
        if round_prop is None:
            raise ValueError(f"no {surface} in this scene")
        return body.part_distance(part, round_prop.centre) - round_prop.radius
    if scene.wall_x is None:
        raise ValueError("no wall in this scene")
    left, right = body.part_extent_x(part)
    return left - scene.wall_x if scene.wall_side == "left" else scene.wall_x - right
