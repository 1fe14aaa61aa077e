"""The rules of meetings and family-time plans that the database holds whatever
the application does (sql/017): written here straight in SQL, as a state
system's bulk load or a future code path would write them."""
import subprocess

from base import ApiTest, at_once


class DatabaseTest(ApiTest):
    def setUp(self):
        super().setUp()
        w = self.world
        self.case = self.create_case(w.worker_a1)
        self.other_case = self.create_case(w.worker_a1)
        self.child = self.add_participant(self.case, role='child')
        self.sibling = self.add_participant(self.case, role='child')
        self.mother = self.add_participant(self.case, role='parent')
        self.father = self.add_participant(self.case, role='parent')
        self.aunt = self.add_participant(self.case, role='relative')
        self.foster = self.add_participant(self.case, role='foster_parent')
        self.stranger = self.add_participant(self.other_case, role='parent')

    def sql(self, statements):
        """Runs statements in one transaction with an actor; returns the error text, or None."""
        try:
            self.cluster.psql("BEGIN; SELECT set_config('casework.actor', 'db-test', true); "
                              f"{statements}; COMMIT;")
        except subprocess.CalledProcessError as e:
            return e.stderr
        return None

    def insert_plan(self, child, people, effective_on, ended_on=None, visits_per_month=4, case=None):
        ended = f"'{ended_on}'" if ended_on else 'NULL'
        ids = ','.join(p['id'] for p in people)
        return ("INSERT INTO family_time_plans (case_id, child_id, person_ids, visits_per_month, supervision,"
                f" effective_on, ended_on) VALUES ('{(case or self.case)['id']}', '{child['id']}', '{{{ids}}}',"
                f" {visits_per_month}, 'supervised', '{effective_on}', {ended})")

    def plans_of(self, child):
        """(effective_on, ended_on, visits_per_month) of child's live plans, in order."""
        out = self.cluster.psql("SELECT effective_on, coalesce(ended_on::text, ''), visits_per_month"
                                f" FROM family_time_plans WHERE child_id = '{child['id']}' AND deleted_at IS NULL"
                                " ORDER BY effective_on")
        return [tuple(line.split('|')) for line in out.splitlines()]


class FamilyTimePlanRulesTest(DatabaseTest):
    def test_a_new_plan_for_the_same_people_ends_the_one_in_force_the_day_before(self):
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.mother, self.father], '2025-01-01')))
        # The same set of people, sent in another order.
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.father, self.mother], '2025-03-15',
                                                    visits_per_month=8)))
        self.assertEqual(self.plans_of(self.child), [('2025-01-01', '2025-03-14', '4'), ('2025-03-15', '', '8')])
        # The shortening is in the audit trail, under the same actor, before the new plan.
        rows = self.cluster.psql("SELECT action, actor, before::text, after ->> 'ended_on' FROM audit_log"
                                 " WHERE resource_type = 'family_time_plan'"
                                 f" AND case_id = '{self.case['id']}' ORDER BY id").splitlines()
        self.assertEqual(rows, ['create|db-test||', 'update|db-test|{"ended_on": null}|2025-03-14', 'create|db-test||'])

    def test_a_plan_ending_after_the_new_one_starts_is_shortened_too(self):
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.mother], '2025-01-01', '2025-12-31')))
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.mother], '2025-06-01', '2025-06-30')))
        self.assertEqual(self.plans_of(self.child), [('2025-01-01', '2025-05-31', '4'), ('2025-06-01', '2025-06-30', '4')])

    def test_plans_with_other_people_or_for_another_child_stand_side_by_side(self):
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.mother], '2025-01-01')))
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.father], '2025-02-01')))
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.mother, self.father], '2025-03-01')))
        self.assertIsNone(self.sql(self.insert_plan(self.sibling, [self.mother], '2025-01-01')))
        self.assertEqual(self.plans_of(self.child), [('2025-01-01', '', '4'), ('2025-02-01', '', '4'),
                                                     ('2025-03-01', '', '4')])

    def test_a_plan_that_starts_with_or_before_the_one_in_force_collides_with_it(self):
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.mother], '2025-03-01')))
        for start, end in (('2025-03-01', None), ('2025-02-01', None), ('2025-02-01', '2025-03-01')):
            with self.subTest(start=start, end=end):
                error = self.sql(self.insert_plan(self.child, [self.mother], start, end))
                self.assertIn('family_time_plans_one_in_force', error)
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.mother], '2025-01-01', '2025-02-28')))
        self.assertEqual(self.plans_of(self.child), [('2025-01-01', '2025-02-28', '4'), ('2025-03-01', '', '4')])

    def test_a_changed_plan_may_not_overlap_another_and_a_deleted_one_is_out_of_the_way(self):
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.mother], '2025-01-01', '2025-01-31')))
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.mother], '2025-03-01')))
        error = self.sql("UPDATE family_time_plans SET ended_on = '2025-03-05'"
                         f" WHERE child_id = '{self.child['id']}' AND effective_on = '2025-01-01'")
        self.assertIn('family_time_plans_one_in_force', error)
        self.assertIsNone(self.sql("UPDATE family_time_plans SET deleted_at = now()"
                                   f" WHERE child_id = '{self.child['id']}' AND effective_on = '2025-03-01'"))
        self.assertIsNone(self.sql("UPDATE family_time_plans SET ended_on = '2025-03-05'"
                                   f" WHERE child_id = '{self.child['id']}' AND effective_on = '2025-01-01'"))

    def test_of_concurrent_plans_for_the_same_day_exactly_one_commits(self):
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.mother], '2025-01-01')))
        errors = at_once(4, lambda i: self.sql(self.insert_plan(self.child, [self.mother], '2025-06-01',
                                                                visits_per_month=i + 1)))
        self.assertEqual(sum(e is None for e in errors), 1, errors)
        for e in errors:
            if e is not None:
                self.assertIn('family_time_plans_one_in_force', e)
        plans = self.plans_of(self.child)
        self.assertEqual(len(plans), 2)
        self.assertEqual(plans[0], ('2025-01-01', '2025-05-31', '4'))

    def test_the_child_is_a_child_and_the_people_parents_or_relatives_of_the_case(self):
        cases = {
            'a foster parent': (self.insert_plan(self.child, [self.foster], '2025-01-01'), 'is with parents or relatives'),
            'a child as a person': (self.insert_plan(self.child, [self.sibling], '2025-01-01'), 'is with parents or relatives'),
            'a parent as the child': (self.insert_plan(self.mother, [self.father], '2025-01-01'), 'is for a child'),
            'the child with itself': (self.insert_plan(self.child, [self.child], '2025-01-01'), 'check'),
            'another case\'s parent': (self.insert_plan(self.child, [self.stranger], '2025-01-01'),
                                       'family_time_plan_people'),
            'a child of another case': (self.insert_plan(self.child, [self.mother], '2025-01-01', case=self.other_case),
                                        'family_time_plans_child_id_case_id_fkey'),
        }
        for what, (statement, constraint) in cases.items():
            with self.subTest(what):
                error = self.sql(statement)
                self.assertIsNotNone(error)
                self.assertIn(constraint, error)
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.aunt, self.mother], '2025-01-01')))
        self.assertEqual(self.cluster.psql("SELECT count(*) FROM family_time_plan_people p JOIN family_time_plans f"
                                           f" ON f.id = p.plan_id WHERE f.child_id = '{self.child['id']}'").strip(), '2')

    def test_counts_and_dates_are_checked(self):
        for what, statement in {
            'no visits': self.insert_plan(self.child, [self.mother], '2025-01-01', visits_per_month=0),
            'negative visits': self.insert_plan(self.child, [self.mother], '2025-01-01', visits_per_month=-2),
            'an end before the start': self.insert_plan(self.child, [self.mother], '2025-02-01', '2025-01-31'),
            'no people': self.insert_plan(self.child, [], '2025-01-01'),
        }.items():
            with self.subTest(what):
                self.assertIn('violates check constraint', self.sql(statement))

    def test_plans_are_never_removed(self):
        self.assertIsNone(self.sql(self.insert_plan(self.child, [self.mother], '2025-01-01')))
        self.assertIn('never removed', self.sql(f"DELETE FROM family_time_plans WHERE child_id = '{self.child['id']}'"))


class MeetingRulesTest(DatabaseTest):
    def insert_meeting(self, people, others='[]', plan_id=None, case=None):
        ids = ','.join(p['id'] for p in people)
        plan = f"'{plan_id}'" if plan_id else 'NULL'
        return ("INSERT INTO meetings (case_id, meeting_type, reason, held_on, participant_ids, others_present,"
                f" plan_id) VALUES ('{(case or self.case)['id']}', 'family_team_meeting', 'plan_review',"
                f" '2025-03-01', '{{{ids}}}', '{others}', {plan})")

    def test_people_present_are_kept_as_rows_of_the_case(self):
        others = '[{"name": "Rev. Kim", "relationship": "pastor"}, {"name": "Dee", "relationship": "neighbour"}]'
        self.assertIsNone(self.sql(self.insert_meeting([self.mother, self.child], others)))
        meeting = self.cluster.psql(f"SELECT id FROM meetings WHERE case_id = '{self.case['id']}'").strip()
        present = self.cluster.psql(f"SELECT count(*) FROM meeting_participants WHERE meeting_id = '{meeting}'")
        self.assertEqual(present.strip(), '2')
        rows = self.cluster.psql("SELECT position, name, relationship FROM meeting_others"
                                 f" WHERE meeting_id = '{meeting}' ORDER BY position").splitlines()
        self.assertEqual(rows, ['1|Rev. Kim|pastor', '2|Dee|neighbour'])
        self.assertIsNone(self.sql(f"UPDATE meetings SET participant_ids = '{{{self.father['id']}}}',"
                                   f" others_present = '[]' WHERE id = '{meeting}'"))
        self.assertEqual(self.cluster.psql("SELECT participant_id FROM meeting_participants"
                                           f" WHERE meeting_id = '{meeting}'").strip(), self.father['id'])
        self.assertEqual(self.cluster.psql(f"SELECT count(*) FROM meeting_others WHERE meeting_id = '{meeting}'").strip(), '0')

    def test_people_and_plans_of_another_case_are_refused(self):
        self.assertIn('meeting_participants', self.sql(self.insert_meeting([self.stranger])))
        other_plan = self.create_plan(self.other_case)
        self.assertIn('meetings_plan_id_case_id_fkey', self.sql(self.insert_meeting([self.mother], plan_id=other_plan)))
        own_plan = self.create_plan(self.case)
        self.assertIsNone(self.sql(self.insert_meeting([self.mother], plan_id=own_plan)))

    def create_plan(self, case):
        r = self.request('POST', f'/v1/cases/{case["id"]}/plans', self.world.worker_a1,
                         body={'effective_on': '2025-01-01'})
        self.assertEqual(r.status, 201, r)
        return r.json()['id']

    def test_others_present_are_names_with_relationships_and_nothing_else(self):
        for others in ('{"name": "A", "relationship": "pastor"}', '[{"name": "A"}]',
                       '[{"name": "A", "relationship": "pastor", "phone": "1"}]', '[{"name": " ", "relationship": "x"}]',
                       '[{"name": 5, "relationship": "x"}]', '["A"]'):
            with self.subTest(others=others):
                self.assertIn('meetings_others_present_check', self.sql(self.insert_meeting([self.mother], others)))

    def test_codes_are_checked(self):
        base = self.insert_meeting([self.mother])
        for column, value in (('meeting_type', 'picnic'), ('reason', 'boredom'), ('recommendation', 'adopt_a_dog')):
            with self.subTest(column=column):
                error = self.sql(f"{base} RETURNING id; UPDATE meetings SET {column} = '{value}'"
                                 f" WHERE case_id = '{self.case['id']}'")
                self.assertIn('violates check constraint', error)

    def test_meetings_are_audited_and_never_removed(self):
        self.assertIsNone(self.sql(self.insert_meeting([self.mother])))
        audit = self.cluster.psql("SELECT action FROM audit_log WHERE resource_type = 'meeting'"
                                  f" AND case_id = '{self.case['id']}'")
        self.assertEqual(audit.strip(), 'create')
        self.assertIn('never removed', self.sql(f"DELETE FROM meetings WHERE case_id = '{self.case['id']}'"))


class FamilyTimePairsTest(DatabaseTest):
    """family_time_pairs follows each visit: the ordered pairs of different people at
    a family_time visit, not virtual, not deleted."""

    def visit(self, people, visit_type='family_time', location='office'):
        r = self.request('POST', f'/v1/cases/{self.case["id"]}/visits', self.world.worker_a1,
                         body={'visited_at': '2025-03-03T10:00:00Z', 'visit_type': visit_type, 'location': location,
                               'participant_ids': [p['id'] for p in people]})
        self.assertEqual(r.status, 201, r)
        return r.json()

    def pairs(self, visit):
        out = self.cluster.psql("SELECT participant_id || '>' || other_id || '@' || to_char(visited_at AT TIME ZONE"
                                " 'UTC', 'HH24:MI') FROM family_time_pairs"
                                f" WHERE visit_id = '{visit['id']}' ORDER BY 1")
        return out.split()

    def change(self, visit, body, who=None):
        r = self.request('PATCH', f'/v1/visits/{visit["id"]}', who or self.world.worker_a1, body=body)
        self.assertEqual(r.status, 200, r)

    def test_each_ordered_pair_of_people_at_family_time_is_kept(self):
        c, m, f = self.child['id'], self.mother['id'], self.father['id']
        visit = self.visit([self.child, self.mother, self.father])
        self.assertEqual(self.pairs(visit), sorted(f'{a}>{b}@10:00' for a, b in
                                                   ((c, m), (c, f), (m, c), (m, f), (f, c), (f, m))))

    def test_pairs_follow_the_visit_as_it_changes_and_leave_with_it(self):
        c, m = self.child['id'], self.mother['id']
        visit = self.visit([self.child, self.mother])
        self.change(visit, {'visited_at': '2025-03-03T11:30:00Z'})
        self.assertEqual(self.pairs(visit), sorted([f'{c}>{m}@11:30', f'{m}>{c}@11:30']))
        self.change(visit, {'participant_ids': [c, self.aunt['id']]})
        self.assertEqual(self.pairs(visit), sorted([f'{c}>{self.aunt["id"]}@11:30', f'{self.aunt["id"]}>{c}@11:30']))
        self.change(visit, {'location': 'virtual'})
        self.assertEqual(self.pairs(visit), [])
        self.change(visit, {'location': 'community'})
        self.assertEqual(len(self.pairs(visit)), 2)
        self.change(visit, {'visit_type': 'caseworker_child'})
        self.assertEqual(self.pairs(visit), [])
        self.change(visit, {'visit_type': 'family_time'})
        r = self.request('DELETE', f'/v1/visits/{visit["id"]}', self.world.administrator)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.pairs(visit), [])

    def test_other_visits_have_no_pairs(self):
        self.assertEqual(self.pairs(self.visit([self.child, self.mother], location='virtual')), [])
        self.assertEqual(self.pairs(self.visit([self.child, self.mother], visit_type='caseworker_child')), [])
        self.assertEqual(self.pairs(self.visit([self.mother], visit_type='caseworker_parent')), [])
