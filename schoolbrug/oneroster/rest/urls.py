"""OneRoster 1.2 rostering routes under /ims/oneroster/rostering/v1p2/."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from . import endpoints as e
from .views import UnknownRoute

ID = "<str:sourced_id>"

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="oneroster-schema"),
    path("orgs", e.Orgs.as_view()),
    path(f"orgs/{ID}", e.Org.as_view()),
    path("schools", e.Schools.as_view()),
    path(f"schools/{ID}", e.School.as_view()),
    path("schools/<str:school>/classes", e.SchoolClasses.as_view()),
    path("schools/<str:school>/classes/<str:klass>/students", e.SchoolStudents.as_view()),
    path("schools/<str:school>/classes/<str:klass>/teachers", e.SchoolTeachers.as_view()),
    path("schools/<str:school>/classes/<str:klass>/enrollments", e.SchoolEnrollments.as_view()),
    path("schools/<str:school>/students", e.SchoolStudents.as_view()),
    path("schools/<str:school>/teachers", e.SchoolTeachers.as_view()),
    path("schools/<str:school>/enrollments", e.SchoolEnrollments.as_view()),
    path("schools/<str:school>/terms", e.SchoolTerms.as_view()),
    path("schools/<str:school>/courses", e.SchoolCourses.as_view()),
    path("academicSessions", e.Sessions.as_view()),
    path(f"academicSessions/{ID}", e.Session.as_view()),
    path("terms", e.Terms.as_view()),
    path(f"terms/{ID}", e.Term.as_view()),
    path("terms/<str:term>/classes", e.TermClasses.as_view()),
    path("terms/<str:term>/gradingPeriods", e.TermGradingPeriods.as_view()),
    path("gradingPeriods", e.GradingPeriods.as_view()),
    path(f"gradingPeriods/{ID}", e.GradingPeriod.as_view()),
    path("courses", e.Courses.as_view()),
    path(f"courses/{ID}", e.Course.as_view()),
    path("courses/<str:course>/classes", e.CourseClasses.as_view()),
    path("classes", e.Classes.as_view()),
    path(f"classes/{ID}", e.Class.as_view()),
    path("classes/<str:klass>/students", e.ClassStudents.as_view()),
    path("classes/<str:klass>/teachers", e.ClassTeachers.as_view()),
    path("users", e.Users.as_view()),
    path(f"users/{ID}", e.User.as_view()),
    path("users/<str:user>/classes", e.UserClasses.as_view()),
    path("students", e.Students.as_view()),
    path(f"students/{ID}", e.Student.as_view()),
    path("students/<str:user>/classes", e.StudentClasses.as_view()),
    path("teachers", e.Teachers.as_view()),
    path(f"teachers/{ID}", e.Teacher.as_view()),
    path("teachers/<str:user>/classes", e.TeacherClasses.as_view()),
    path("enrollments", e.Enrollments.as_view()),
    path(f"enrollments/{ID}", e.EnrollmentView.as_view()),
    path("demographics", e.DemographicsList.as_view()),
    path(f"demographics/{ID}", e.Demographics.as_view()),
    # Any other path answers the 1.2 JSON 404.
    re_path(r"^(?P<path>.*)$", UnknownRoute.as_view()),
]
