//! Many-to-many through an explicit model (with its own columns), and one-to-one keys.

mod common;

use common::each_backend_with;
use trellis_orm::observe;
use trellis_orm::prelude::*;

#[derive(Model, Debug, Clone)]
#[model(app = "club", ordering = "name")]
struct Person {
    id: i64,
    #[field(max_length = 50)]
    name: String,
}

#[derive(Model, Debug, Clone)]
#[model(app = "club", ordering = "name")]
struct Group {
    id: i64,
    #[field(max_length = 50)]
    name: String,
    #[field(through = Membership)]
    members: ManyToMany<Person>,
}

#[derive(Model, Debug, Clone)]
#[model(app = "club", unique_together("person", "group"))]
struct Membership {
    id: i64,
    #[field(on_delete = Cascade)]
    person: ForeignKey<Person>,
    #[field(on_delete = Cascade)]
    group: ForeignKey<Group>,
    #[field(max_length = 20)]
    role: String,
}

#[derive(Model, Debug, Clone)]
#[model(app = "club")]
struct Profile {
    id: i64,
    #[field(on_delete = Cascade, one_to_one)]
    person: ForeignKey<Person>,
    bio: String,
}

fn tables() -> Vec<&'static ModelMeta> {
    vec![
        Person::meta(),
        Group::meta(),
        Membership::meta(),
        Profile::meta(),
    ]
}

use trellis_orm::ModelMeta;

#[tokio::test]
async fn many_to_many_through_an_explicit_model() {
    each_backend_with(tables(), |db| async move {
        let meta = Group::meta().m2m("members").unwrap();
        assert_eq!(meta.through_table, "club_membership");
        assert_eq!(
            (meta.source_column.as_str(), meta.target_column.as_str()),
            ("group_id", "person_id")
        );
        let mut people = Vec::new();
        for name in ["Ann", "Bob", "Cy"] {
            let mut p = Person {
                id: 0,
                name: name.into(),
            };
            p.save(&db).await?;
            people.push(p);
        }
        let mut groups = Vec::new();
        for name in ["Chess", "Choir"] {
            let mut g = Group {
                id: 0,
                name: name.into(),
                members: Default::default(),
            };
            g.save(&db).await?;
            groups.push(g);
        }
        for (p, g, role) in [(0, 0, "chair"), (1, 0, "member"), (1, 1, "tenor")] {
            let mut m = Membership {
                id: 0,
                person: ForeignKey::from(&people[p]),
                group: ForeignKey::from(&groups[g]),
                role: role.into(),
            };
            m.save(&db).await?;
        }
        let (loaded, queries) = observe::capture_queries(async {
            Group::objects()
                .prefetch_related(["members"])
                .all(&db)
                .await
        })
        .await;
        let loaded = loaded?;
        assert_eq!(queries.len(), 2, "{queries:?}");
        let names = |g: &Group| -> Vec<String> {
            g.members
                .try_all()
                .unwrap()
                .iter()
                .map(|p| p.name.clone())
                .collect()
        };
        assert_eq!(names(&loaded[0]), ["Ann", "Bob"]);
        assert_eq!(names(&loaded[1]), ["Bob"]);
        // Lookups through the relation and through the explicit model's own columns.
        let with_bob = Group::objects()
            .filter(Q::lookup("members__name", "Bob"))
            .count(&db)
            .await?;
        assert_eq!(with_bob, 2);
        let chairs = Membership::objects()
            .filter(Membership::f().role.eq("chair"))
            .select_related(["person", "group"])
            .all(&db)
            .await?;
        assert_eq!(chairs[0].person.try_get()?.name, "Ann");
        assert_eq!(chairs[0].group.try_get()?.name, "Chess");
        assert_eq!(groups[0].members.fetch(&db).await?.len(), 2);
        // Deleting a person removes their memberships (cascade through the explicit model).
        people[1].delete(&db).await?;
        assert_eq!(Membership::objects().count(&db).await?, 1);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn one_to_one_is_unique() {
    each_backend_with(tables(), |db| async move {
        let mut ann = Person {
            id: 0,
            name: "Ann".into(),
        };
        ann.save(&db).await?;
        let mut first = Profile {
            id: 0,
            person: ForeignKey::from(&ann),
            bio: "hi".into(),
        };
        first.save(&db).await?;
        let mut second = Profile {
            id: 0,
            person: ForeignKey::from(&ann),
            bio: "again".into(),
        };
        let err = second.save(&db).await.unwrap_err();
        assert!(matches!(err, trellis_orm::Error::Database(_)), "{err}");
        let p = Profile::objects()
            .select_related(["person"])
            .get(&db)
            .await?;
        assert_eq!(p.person.try_get()?.name, "Ann");
        Ok(())
    })
    .await;
}
